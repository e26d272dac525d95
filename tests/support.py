"""Constants and helpers shared by tests (fixtures live in conftest.py)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "notes"
SECRET = b"test-secret"
# the site secret every flow run in the tests uses (set in conftest before anything reads settings)
SITE_SECRET = "chartsift-tests-site-secret-7Qm2xV9pL4nR8sK1"
