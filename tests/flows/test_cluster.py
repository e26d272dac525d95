"""Shards fanned out over a real Dask cluster (a scheduler and two worker processes on 127.0.0.1,
tasks reporting to a real Prefect server): one worker is killed mid-run, its shards are redone on
the other, and the output equals a one-process run's with no duplicate."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from flows.bench import write_bench_source
from tests.conftest import _free_port
from tests.support import ROOT, start_prefect_server, start_process, stop_process

pytestmark = [pytest.mark.slow, pytest.mark.integration]
BIN = Path(sys.executable).parent
N_NOTES, SHARD = 240, 20  # 12 shards


def _rows(out: Path) -> dict[str, pl.DataFrame]:
    """Each table's content without run ids and times, in a stable order."""
    keep = {"notes": ["note_key", "patient_key", "text", "n_facts", "extraction_status"],
            "facts": ["fact_id", "note_key", "fact_type", "name", "evidence", "grounding"],
            "quarantine": ["note_key", "reason", "stage"]}  # fmt: skip
    return {t: pl.read_delta(str(out / t)).select(cols).sort(cols[:2]) for t, cols in keep.items()}


def _run(env: dict, src: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "chartsift"), "run", "--source", str(src), "--output", str(out), "--engine", "fake"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip


def _wait_until_busy(address: str, name: str, deadline: float) -> list[str]:
    """The keys of the tasks the worker called `name` is running, once it runs one."""
    from distributed import Client

    with Client(address, timeout=30) as client:
        addr = next(a for a, w in client.scheduler_info()["workers"].items() if w["name"] == name)
        while time.monotonic() < deadline:
            keys = client.processing(workers=[addr]).get(addr, [])
            if keys:
                return [str(k) for k in keys]
            time.sleep(0.05)
    raise AssertionError(f"worker {name} never took a task")


def test_when_a_cluster_worker_is_killed_mid_run_then_the_output_equals_a_one_process_run(tmp_path):
    src = tmp_path / "src"
    write_bench_source(src, N_NOTES, per_file=60)
    port, dask_port = _free_port(), _free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}",
           "CHARTSIFT_SOURCE__SHARD_SIZE": str(SHARD), "CHARTSIFT_INFERENCE__FAKE__DELAY_S": "1.5",
           "CHARTSIFT_DEID__WORKERS": "1"}  # fmt: skip
    env.pop("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", None)
    server = start_prefect_server(BIN, port, env, tmp_path / "server.log")
    procs = []
    try:
        one = _run(env, src, tmp_path / "one")  # the reference: one process, no cluster
        assert one.wait(timeout=600) == 0, one.stdout.read()[-3000:]

        address = f"tcp://127.0.0.1:{dask_port}"
        procs.append(start_process([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(dask_port),
                                    "--no-dashboard"], env, tmp_path / "scheduler.log"))  # fmt: skip
        for i in (1, 2):  # no nanny: a killed worker stays dead
            procs.append(start_process([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-nanny",
                                        "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{i}"],
                                       env, tmp_path / f"worker{i}.log"))  # fmt: skip
        victim = procs[1]
        run = _run({**env, "CHARTSIFT_CLUSTER__ADDRESS": address}, src, tmp_path / "cluster")
        manifests = tmp_path / "cluster" / "_manifest" / "shards"
        deadline = time.monotonic() + 300
        while len(list(manifests.glob("*.json"))) < 2:  # mid-run: some shards committed, most not
            assert run.poll() is None and time.monotonic() < deadline, run.stdout.read()[-3000:] if run.poll() is not None else "timeout"
            time.sleep(0.2)
        held = _wait_until_busy(address, "w1", deadline)  # kill it while it holds a shard's task
        committed_at_kill = len(list(manifests.glob("*.json")))
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        assert run.wait(timeout=600) == 0, run.stdout.read()[-3000:]
    finally:
        for p in procs:
            stop_process(p)
        stop_process(server)

    assert committed_at_kill < N_NOTES // SHARD
    assert victim.returncode == -signal.SIGKILL and held
    removed = [line for line in (tmp_path / "scheduler.log").read_text().splitlines() if "Remove worker" in line]
    assert any("name: w1" in line for line in removed)  # the scheduler saw it go and rescheduled its tasks
    ref, got = _rows(tmp_path / "one"), _rows(tmp_path / "cluster")
    for table in ref:
        assert got[table].equals(ref[table]), table
    assert got["notes"]["note_key"].n_unique() == got["notes"].height == N_NOTES - got["quarantine"].height
    assert got["facts"]["fact_id"].n_unique() == got["facts"].height > 0
    assert len(list(manifests.glob("*.json"))) == N_NOTES // SHARD  # one commit record per shard
