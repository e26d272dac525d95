"""Accounting against the plan: every planned record comes back as a note or a quarantine record,
or the run refuses to publish; and the lock's background heartbeat."""

import json
import time

import pytest

from flows import ledger, storage, tasks
from flows.layout import OutputLayout
from transforms.errors import AccountingError, LockLost


@pytest.mark.integration
def test_when_a_parser_loses_a_record_then_the_run_fails_and_publishes_nothing(prefect_harness, tmp_path, monkeypatch):
    from flows.extract_notes import extract_notes

    src = tmp_path / "src"
    src.mkdir()
    (src / "notes.jsonl").write_text("\n".join(json.dumps({"id": str(i), "text": f"Assessment: stable {i}."})
                                               for i in range(4)))  # fmt: skip
    (src / "a.txt").write_text("Assessment: gout.")
    real = tasks.parse_stream

    def lossy(*args, **kwargs):  # the injected loss: a parser bug that drops one record silently
        notes, bad = real(*args, **kwargs)
        return notes[1:] if len(notes) > 1 else notes, bad

    monkeypatch.setattr(tasks, "parse_stream", lossy)
    with pytest.raises(AccountingError, match="the plan has 5 records, the shards read 5 and accounted for 4"):
        extract_notes(source=str(src), output=str(tmp_path / "out"), engine="fake")
    assert not (tmp_path / "out" / "runs").exists() and not list((tmp_path / "out" / "_state").glob("source-*.json"))

    monkeypatch.setattr(tasks, "parse_stream", real)  # the next run reads the objects again: nothing is lost
    result = extract_notes(source=str(src), output=str(tmp_path / "out"), engine="fake")
    assert (result["notes_input"], result["notes_output"]) == (5, 5)


def test_when_a_long_shard_runs_then_the_background_heartbeat_keeps_the_lock_fresh(tmp_path):
    lock = ledger.OutputLock.acquire(str(tmp_path), "run-a")
    uri = OutputLayout(str(tmp_path)).lock()
    first = storage.read_json(uri)["heartbeat_at"]
    with lock.keep_alive(0.05):
        time.sleep(0.3)  # the run's own thread is busy: only the background thread refreshes
        assert storage.read_json(uri)["heartbeat_at"] > first
    lock.release()


def test_when_another_run_takes_the_lock_over_then_the_next_heartbeat_stops_this_run(tmp_path):
    lock = ledger.OutputLock.acquire(str(tmp_path), "run-a")
    uri = OutputLayout(str(tmp_path)).lock()
    with lock.keep_alive(0.05):
        held = storage.read_json(uri)
        storage.write_bytes(uri, json.dumps({**held, "run_id": "run-b"}).encode())  # taken over as stale
        time.sleep(0.3)
        assert lock.lost is not None
        with pytest.raises(LockLost):
            lock.heartbeat()
