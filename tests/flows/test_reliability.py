"""A nightly job must survive the night: kill -9 and rerun, S3 faults, two runs at once, drift."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import duckdb
import polars as pl
import pytest
from prefect.settings import PREFECT_API_URL

from flows import storage
from flows.extract_notes import DriftError, extract_notes
from tests.faultproxy import FaultProxyProcess
from tests.support import ROOT, SAMPLES

pytestmark = pytest.mark.integration

VOLATILE = {"run_id", "quarantined_at"}  # differ between any two runs by design


def _source(tmp_path: Path) -> Path:
    """The samples plus a second copy under other names and ids: 24 notes, 8 shards of 3."""
    src = tmp_path / "src"
    shutil.copytree(SAMPLES, src)
    for p in list(src.iterdir()):
        if p.suffix == ".jsonl":
            rows = [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
            (src / f"copy-{p.name}").write_text("".join(json.dumps({**r, "id": f"copy-{r['id']}"}) + "\n" for r in rows))
        else:
            shutil.copy(p, src / f"copy-{p.name}")
    return src


def _table(out: Path, name: str) -> pl.DataFrame:
    if not (out / name / "_delta_log").is_dir():
        return pl.DataFrame()
    frame = pl.read_delta(str(out / name))
    frame = frame.drop([c for c in frame.columns if c in VOLATILE])
    return frame.sort(frame.columns[:2])


def _assert_same_output(a: Path, b: Path) -> None:
    for name in ("notes", "facts", "quarantine"):
        ta, tb = _table(a, name), _table(b, name)
        assert ta.height == tb.height, name
        if ta.height:
            assert ta.equals(tb), name
    assert _table(a, "notes")["note_key"].is_unique().all()
    assert _table(a, "facts")["fact_id"].is_unique().all()


def _cli_env(**extra: str) -> dict:
    env = dict(os.environ, PREFECT_API_URL=PREFECT_API_URL.value(), CHARTSIFT_SOURCE__SHARD_SIZE="3", **extra)
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def _cli(src: Path, out: Path, **extra: str) -> subprocess.Popen:
    cmd = [str(Path(sys.executable).parent / "chartsift"), "run", "--source", str(src), "--output", str(out), "--engine", "fake"]
    return subprocess.Popen(cmd, cwd=ROOT, env=_cli_env(**extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip


def test_when_a_run_is_killed_mid_run_then_the_rerun_completes_it_with_a_clean_runs_output(
    prefect_harness, tmp_path, monkeypatch
):
    src = _source(tmp_path)
    monkeypatch.setenv("CHARTSIFT_SOURCE__SHARD_SIZE", "3")
    clean = tmp_path / "clean"
    extract_notes(source=str(src), output=str(clean), engine="fake")

    out = tmp_path / "out"
    proc = _cli(src, out, CHARTSIFT_INFERENCE__FAKE__DELAY_S="1.0")
    manifests = out / "_manifest" / "shards"
    deadline = time.monotonic() + 240
    while len(list(manifests.glob("*.json"))) < 2:  # kill once some shards are committed
        assert proc.poll() is None, proc.stdout.read().decode(errors="replace")[-3000:]
        assert time.monotonic() < deadline, "the run committed no shard in time"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    committed = len(list(manifests.glob("*.json")))
    assert 2 <= committed < 8, "the kill must land mid-run"
    assert not (out / "runs").exists()  # the killed run published no runs row
    assert (out / "_lock" / "output.json").exists()  # and left its lock behind

    rerun = extract_notes(source=str(src), output=str(out), engine="fake")

    assert rerun["shards_resumed"] >= committed - 1  # a shard may commit between our look and the kill
    assert rerun["notes_input"] == 24 == rerun["notes_output"] + rerun["notes_quarantined"]
    _assert_same_output(out, clean)
    assert not (out / "_lock" / "output.json").exists()
    assert not (out / "_staging").exists()  # the killed run's staging is gone too


def test_when_s3_fails_on_a_tenth_of_requests_then_nothing_is_lost(prefect_harness, s3_server, tmp_path, monkeypatch):
    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="faulty")
    src = _source(tmp_path)
    for p in sorted(src.iterdir()):
        s3.upload_file(str(p), "faulty", f"in/{p.name}")
    monkeypatch.setenv("CHARTSIFT_SOURCE__SHARD_SIZE", "3")
    storage._client.cache_clear()
    extract_notes(source="s3://faulty/in/", output="s3://faulty/clean", engine="fake")  # no faults

    host, port = s3_server.removeprefix("http://").split(":")
    with FaultProxyProcess(host, int(port), fault_rate=0.10, seed=11) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        monkeypatch.setenv("CHARTSIFT_S3__MAX_ATTEMPTS", "6")
        storage._client.cache_clear()
        try:
            run = extract_notes(source="s3://faulty/in/", output="s3://faulty/out", engine="fake")
        finally:
            storage._client.cache_clear()
    assert proxy.requests > 100 and sum(proxy.injected.values()) >= 10, (proxy.requests, proxy.injected)
    assert set(proxy.injected) == {"slowdown_503", "internal_500", "reset_before", "reset_after", "slow"}
    assert run["notes_input"] == 24 == run["notes_output"] + run["notes_quarantined"]

    fetched = {}  # both outputs, fetched without the proxy: the faulty run's equals the clean one's
    for prefix in ("out", "clean"):
        fetched[prefix] = tmp_path / prefix
        for o in s3.list_objects_v2(Bucket="faulty", Prefix=f"{prefix}/")["Contents"]:
            target = fetched[prefix] / o["Key"].removeprefix(f"{prefix}/")
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file("faulty", o["Key"], str(target))
    _assert_same_output(fetched["out"], fetched["clean"])
    assert not (fetched["out"] / "_staging").exists() and not (fetched["out"] / "_lock").exists()


def test_when_two_runs_start_at_once_then_one_waits_and_the_output_stays_consistent(prefect_harness, tmp_path):
    src, out = _source(tmp_path), tmp_path / "out"
    procs = [_cli(src, out, CHARTSIFT_SINK__LOCK_WAIT_S="600", CHARTSIFT_INFERENCE__FAKE__DELAY_S="0.3")
             for _ in range(2)]  # fmt: skip
    logs = [p.communicate(timeout=600)[0].decode(errors="replace") for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [log[-2000:] for log in logs]

    runs = _table(out, "runs")
    assert runs.height == 2 and sorted(runs["notes_input"].to_list()) == [0, 24]  # the second found nothing new
    notes = _table(out, "notes")
    assert notes.height == 24 and notes["note_key"].is_unique().all()
    assert set(_table(out, "facts")["note_key"]) <= set(notes["note_key"])
    # a run that may not wait is refused with a clear error, writes nothing, and says so in the audit log
    lock = out / "_lock" / "output.json"
    lock.write_text(json.dumps({"run_id": "other", "host": "elsewhere", "pid": 1, "acquired_at": "now",
                                "heartbeat_at": "2999-01-01T00:00:00+00:00"}))  # fmt: skip
    refused = _cli(src, out)
    text = refused.communicate(timeout=300)[0].decode(errors="replace")
    assert refused.returncode != 0 and "output is locked by run other" in text
    assert _table(out, "runs").height == 2
    events = duckdb.sql(f"select event from read_json_auto('{out}/audit/*.json')").fetchall()
    assert sorted(e for (e,) in events) == ["finished", "finished", "refused", "started", "started"]


def test_when_model_output_shifts_then_the_drift_check_warns_and_can_fail_the_run(
    prefect_harness, tmp_path, monkeypatch
):
    out = tmp_path / "out"
    normal = [extract_notes(source=str(SAMPLES), output=str(out), engine="fake", full_refresh=True) for _ in range(4)]
    assert [r["drift_warnings"] for r in normal] == [[], [], [], []]  # three baseline runs, then a normal one
    assert [r["shards_resumed"] for r in normal] == [0, 0, 0, 0]  # a full refresh recomputes finished shards

    monkeypatch.setenv("CHARTSIFT_INFERENCE__FAKE__DRIFT_PROB", "1.0")
    shifted = extract_notes(source=str(SAMPLES), output=str(out), engine="fake", full_refresh=True)
    drifted = " ".join(shifted["drift_warnings"])
    assert "facts_per_note.diagnosis" in drifted and "null_rate.medication.dose" in drifted
    assert shifted["status"] == "completed_with_alerts" and set(shifted["drift_warnings"]) <= set(shifted["alerts"])

    metrics = pl.read_delta(str(out / "metrics")).select("run_id", "metric", "status")
    assert metrics.filter(pl.col("status") == "drift")["run_id"].unique().to_list() == [shifted["run_id"]]
    report = Path(shifted["report_uri"]).read_text()
    assert "metric(s) drifted" in report and "<svg" in report and "facts_per_note.diagnosis" in report

    monkeypatch.setenv("CHARTSIFT_MONITOR__ON_DRIFT", "error")
    with pytest.raises(DriftError):
        extract_notes(source=str(SAMPLES), output=str(out), engine="fake", full_refresh=True)
    assert _table(out, "runs").height == 6  # the failing run still published its output and runs row

    audit = duckdb.sql(f"select event, outcome, notes_input from read_json_auto('{out}/audit/*.json') "
                       "where event = 'finished' order by recorded_at").fetchall()  # fmt: skip
    assert len(audit) == 6 and audit[-1][1] == "completed_with_alerts" and audit[-1][2] == 12


@pytest.mark.parametrize("crash_at", [0, 1, 2, 3])
def test_when_a_run_dies_between_its_table_commits_then_the_rerun_leaves_each_note_once_and_no_orphan_facts(
    prefect_harness, tmp_path, monkeypatch, crash_at
):
    """Publishing a changed object commits four tables (quarantine, facts_ungrounded, facts,
    notes), one commit each; a run that dies before commit `crash_at` is finished by the next one."""
    from flows import publish

    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    for i in range(4):
        (src / f"n{i}.txt").write_text(f"Assessment: condition {i}. Plan: metformin 500 mg po daily.")
    extract_notes(source=str(src), output=str(out), engine="fake")
    (src / "n1.txt").write_text("Assessment: condition 1, revised. Plan: lisinopril 10 mg po daily.")
    real, calls = publish.delta.replace, []

    def dies(uri, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        if uri.rsplit("/", 1)[-1] in ("metrics", "runs"):  # the run's own rows, not the published ones
            return real(uri, *args, **kw)
        calls.append(uri)
        if len(calls) == crash_at + 1:
            raise RuntimeError("killed between commits")
        return real(uri, *args, **kw)

    monkeypatch.setattr(publish.delta, "replace", dies)
    with pytest.raises(RuntimeError, match="killed between commits"):
        extract_notes(source=str(src), output=str(out), engine="fake")
    monkeypatch.setattr(publish.delta, "replace", real)
    rerun = extract_notes(source=str(src), output=str(out), engine="fake")
    assert rerun["notes_input"] == 1 and rerun["notes_superseded"] == 1

    notes = pl.read_delta(str(out / "notes"))
    facts = pl.read_delta(str(out / "facts"))
    assert notes.height == 4 and notes["note_key"].n_unique() == 4 and notes["source_key"].n_unique() == 4
    assert set(facts["note_key"]) == set(notes["note_key"])  # no facts of a removed note, none missing
    assert facts.filter(pl.col("name").str.to_lowercase() == "metformin").height == 3  # n1's old fact is gone


def test_when_a_run_dies_late_in_finalize_then_the_rerun_leaves_one_completed_runs_row(
    prefect_harness, tmp_path, monkeypatch
):
    """Killed after its `runs` row and metrics were written but before its run manifest: the rerun
    finishes the work, and the dead run's row and metrics go (one run's work, one completed row)."""
    from flows import ledger

    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "a.txt").write_text("Assessment: gout. Plan: colchicine 0.6 mg daily.")
    extract_notes(source=str(src), output=str(out), engine="fake")
    (src / "b.txt").write_text("Assessment: asthma. Plan: albuterol inhaler.")
    real = ledger.write_run_manifest

    def dies(*args, **kw):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("killed late in finalize")

    monkeypatch.setattr(ledger, "write_run_manifest", dies)
    with pytest.raises(RuntimeError, match="killed late in finalize"):
        extract_notes(source=str(src), output=str(out), engine="fake")
    assert pl.read_delta(str(out / "runs")).height == 2  # the dead run's row is there
    ids_cols = ["kind", "key", "id"]
    dead_ids = pl.read_parquet(out / "ids" / "*.parquet").select(ids_cols).sort(ids_cols)
    monkeypatch.setattr(ledger, "write_run_manifest", real)
    rerun = extract_notes(source=str(src), output=str(out), engine="fake")
    ids = pl.read_parquet(out / "ids" / "*.parquet")
    assert ids.select(ids_cols).sort(ids_cols).equals(dead_ids)  # the same integer ids, assigned once
    assert ids.group_by("kind").agg(pl.col("id").n_unique() == pl.len())["id"].all()
    facts = pl.read_delta(str(out / "facts"))
    assert set(facts["fact_id"]) <= set(ids.filter(pl.col("kind") == "fact")["key"])

    runs = pl.read_delta(str(out / "runs"))
    metrics = pl.read_delta(str(out / "metrics"))
    assert runs.height == 2 and set(runs["status"]) <= {"completed", "completed_with_alerts"}
    assert rerun["run_id"] in runs["run_id"].to_list() and set(metrics["run_id"]) == set(runs["run_id"])
    notes = pl.read_delta(str(out / "notes"))
    assert notes.height == 2 and notes["note_key"].n_unique() == 2
