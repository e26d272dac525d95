"""Constants and helpers shared by tests (fixtures live in conftest.py)."""

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "notes"
SECRET = b"test-secret"
# the site secret every flow run in the tests uses (set in conftest before anything reads settings)
SITE_SECRET = "chartsift-tests-site-secret-7Qm2xV9pL4nR8sK1"


def start_process(args, env, log: Path) -> subprocess.Popen:
    """A server or worker in its own process group (stopped with stop_process), output to `log`."""
    return subprocess.Popen(args, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip


def stop_process(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def start_prefect_server(bin_dir: Path, port: int, env: dict, log: Path) -> subprocess.Popen:
    """`prefect server start` on 127.0.0.1:port, returned once /api/health answers."""
    server = start_process([str(bin_dir / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                           env, log)  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                stop_process(server)
                raise RuntimeError("prefect server did not start: " + log.read_text()[-2000:]) from None
            time.sleep(1)


def _misquoting_engine():
    from flows.engines.fake import FakeEngine

    class MisquotingEngine(FakeEngine):
        """The fake engine, but every diagnosis quotes words its note does not hold (a model that
        paraphrases): those facts must reach `facts_ungrounded`, never `facts`."""

        @staticmethod
        def _answer(note: str) -> dict:
            answer = FakeEngine._answer(note)
            for d in answer["diagnoses"]:
                d["evidence"] = "words this note never wrote"
            return answer

    return MisquotingEngine


def __getattr__(name: str):  # the engine registry imports "tests.support:MisquotingEngine" lazily
    if name == "MisquotingEngine":
        return _misquoting_engine()
    raise AttributeError(name)
