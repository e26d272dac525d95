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
