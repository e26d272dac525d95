import json

import duckdb
import pytest

from flows import ledger


def test_when_an_output_is_locked_then_a_second_run_is_refused_and_a_dead_owner_is_taken_over(tmp_path):
    first = ledger.OutputLock.acquire(str(tmp_path), "run-1")
    with pytest.raises(ledger.OutputLocked, match="locked by run run-1"):
        ledger.OutputLock.acquire(str(tmp_path), "run-2")
    first.heartbeat()
    first.release()
    second = ledger.OutputLock.acquire(str(tmp_path), "run-2")
    held = json.loads((tmp_path / "_lock" / "output.json").read_text())
    held["pid"] = 2**22 + 12345  # a process that does not exist on this host: its owner died (kill -9)
    (tmp_path / "_lock" / "output.json").write_text(json.dumps(held))
    third = ledger.OutputLock.acquire(str(tmp_path), "run-3")
    with pytest.raises(Exception, match="lost the output lock"):
        second.heartbeat()
    third.release()
    assert not (tmp_path / "_lock" / "output.json").exists()


def test_when_a_lock_stops_heart_beating_then_it_is_stale():
    held = {"host": "elsewhere", "pid": 1, "heartbeat_at": "2020-01-01T00:00:00+00:00"}
    assert ledger.OutputLock._stale(held, stale_after_s=3600)
    assert not ledger.OutputLock._stale({**held, "heartbeat_at": "2999-01-01T00:00:00+00:00"}, 3600)


def test_when_events_are_recorded_then_they_are_new_objects_duckdb_can_read(tmp_path):
    log = ledger.AuditLog(str(tmp_path), "r1", {"os_user": "etl", "source_uri": "s3://in/"})
    log.record("started")
    log.record("finished", outcome="completed", notes_input=3)
    again = ledger.AuditLog(str(tmp_path), "r1", {"os_user": "etl"})
    again.seq = 1  # its next name, r1-002-finished, is taken: a clash never overwrites
    again.record("finished", outcome="completed", notes_input=4)
    rows = duckdb.sql(f"select event, outcome, notes_input from read_json_auto('{tmp_path}/audit/*.json') "
                      "order by recorded_at").fetchall()  # fmt: skip
    assert rows == [("started", None, None), ("finished", "completed", 3), ("finished", "completed", 4)]


def _stale_lock(out) -> None:
    lock = out / "_lock" / "output.json"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps({"run_id": "dead", "host": "elsewhere", "pid": 1,
                                "heartbeat_at": "2020-01-01T00:00:00+00:00"}))  # fmt: skip


def test_when_runs_take_over_a_stale_lock_at_the_same_moment_then_exactly_one_wins(tmp_path):
    import threading

    winners_per_trial = []
    for trial in range(40):
        out = tmp_path / f"t{trial}"
        _stale_lock(out)
        start, won = threading.Barrier(6), []

        def contend(i: int, out=out, start=start, won=won) -> None:
            start.wait()
            try:
                won.append(ledger.OutputLock.acquire(str(out), f"run-{i}"))
            except ledger.OutputLocked:
                pass

        threads = [threading.Thread(target=contend, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        holder = json.loads((out / "_lock" / "output.json").read_text())["run_id"]
        assert [w.run_id for w in won] == [holder]  # the one that believes it holds the lock does
        assert not list((out / "_lock").glob("*takeover*"))  # markers go with the stale lock
        winners_per_trial.append(len(won))
    assert set(winners_per_trial) == {1}


def test_when_a_lock_or_manifest_is_torn_then_it_is_taken_over_or_redone_not_a_json_error(tmp_path):
    (tmp_path / "_lock").mkdir()
    (tmp_path / "_lock" / "output.json").write_bytes(b"")  # its writer died mid-write
    lock = ledger.OutputLock.acquire(str(tmp_path), "run-1")
    assert json.loads((tmp_path / "_lock" / "output.json").read_text())["run_id"] == "run-1"
    lock.release()
    uri = ledger.shard_manifest_uri(str(tmp_path), "s1")
    ledger.storage.write_bytes(uri, b'{"run_id": "r')
    assert ledger.read_shard_manifest(str(tmp_path), "s1") is None
    with pytest.raises(ledger.storage.TornObject, match="not whole JSON"):
        ledger.storage.read_json(uri)


def test_when_a_run_was_killed_after_writing_metrics_then_they_stay_out_of_the_drift_baseline(tmp_path):
    import datetime as dt

    from flows import delta
    from flows.settings import SinkSettings
    from flows.tasks import _metrics_history
    from transforms import tables

    sink = SinkSettings(uri=str(tmp_path))
    now = dt.datetime.now(dt.UTC)
    for run_id, value in (("done", 0.5), ("killed", 9.0)):
        rows = [{"run_id": run_id, "ended_at": now, "metric": "facts_per_note", "value": value, "status": "ok"}]
        delta.replace(str(tmp_path / "metrics"), tables.METRICS, lambda rows=rows: iter([tables.build_table(rows, tables.METRICS)]),
                      delta.sql_in("run_id", [run_id]), run_id)  # fmt: skip
    ledger.write_run_manifest(str(tmp_path), "done", {"run_id": "done"})
    assert _metrics_history(sink, "now", None) == [{"facts_per_note": 0.5}]
