"""A real Prefect server, a process work pool, `prefect deploy`, a worker, and a triggered
extract-notes run on the sample notes. Processes get their own process group and are stopped by it."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import _free_port
from tests.support import ROOT, SAMPLES, start_prefect_server, start_process, stop_process

pytestmark = [pytest.mark.slow, pytest.mark.integration]
BIN = Path(sys.executable).parent


def test_when_deployed_and_triggered_then_a_worker_runs_extract_notes_and_the_registry_delivery_to_completion(
    tmp_path, s3_server
):
    import datetime as dt

    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="registry-deliveries")  # the registry deployment's delivery (deployments/prefect.yaml)
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "CHARTSIFT_HOME": str(ROOT),
           "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}"}  # fmt: skip
    env.pop("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", None)
    prefect = str(BIN / "prefect")
    server = start_prefect_server(BIN, port, env, tmp_path / "server.log")
    worker = None
    try:

        def cli(*args, timeout=180):
            res = subprocess.run([prefect, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
            assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
            return res.stdout

        cli("work-pool", "create", "chartsift-cpu", "--type", "process")
        cli("--no-prompt", "deploy", "--all", "--prefect-file", "deployments/prefect.yaml")
        def inspect(name: str) -> dict:
            # `prefect deployment inspect --output json` fails on a set in 3.9.1; read through the client
            code = ("import json; from prefect.client.orchestration import get_client\n"
                    "with get_client(sync_client=True) as c:\n"
                    f"    d = c.read_deployment_by_name({name!r})\n"
                    "    print(d.model_dump_json())")  # fmt: skip
            res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
            assert res.returncode == 0, res.stderr[-2000:]
            return json.loads(res.stdout)

        registry = inspect("registry-extract/registry-extract-cancer")
        assert registry["parameters"]["profile"] == "cancer"
        worker = start_process([prefect, "worker", "start", "--pool", "chartsift-cpu", "--limit", "1"], env, tmp_path / "worker.log")
        out = tmp_path / "out"
        cli("deployment", "run", "extract-notes/extract-notes-nightly", "--param", f"source={SAMPLES}",
            "--param", f"output={out}", "--param", "engine=fake", "--watch", "--watch-timeout", "400", timeout=450)
        runs = pl.read_delta(str(out / "runs"))
        assert runs["notes_output"].to_list() == [12]
        assert pl.read_delta(str(out / "facts")).height > 0
        nightly = inspect("extract-notes/extract-notes-nightly")
        cron = nightly["schedules"][0]["schedule"]
        assert (cron["cron"], cron["timezone"]) == ("0 2 * * *", "America/New_York")
        limit = nightly.get("global_concurrency_limit") or {}
        assert nightly.get("concurrency_limit") == 1 or limit.get("limit") == 1

        # the nightly run's completion triggers the registry deployment with that run's output;
        # the worker runs it and the delivery lands on the S3 server
        key = f"chartsift/cancer/{dt.datetime.now(dt.UTC).date().isoformat()}/manifest.json"
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            listed = s3.list_objects_v2(Bucket="registry-deliveries", Prefix=key).get("Contents", [])
            if listed:
                break
            time.sleep(3)
        else:
            pytest.fail("no registry delivery: " + (tmp_path / "worker.log").read_text()[-3000:])
        manifest = json.loads(s3.get_object(Bucket="registry-deliveries", Key=key)["Body"].read())
        assert manifest["source"] == str(out) and manifest["row_count"] > 0 and manifest["package"]
    finally:
        if worker is not None:
            stop_process(worker)
        stop_process(server)
