"""Issue #15's poison pills (benchmarks/poison_pills.py builds them) mixed into 40 good notes, run
through a real Prefect flow: the run completes, the good notes come out, and each pill is
quarantined with its own reason. Bombs and the huge note are scaled down here and the limits
with them; `python benchmarks/poison_pills.py` runs them at full size and measures RSS and wall."""

import importlib.util

import polars as pl
import pytest

from tests.support import ROOT

pytestmark = pytest.mark.integration

spec = importlib.util.spec_from_file_location("poison_pills", ROOT / "benchmarks" / "poison_pills.py")
pills = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pills)


def test_when_poison_pills_are_mixed_into_good_notes_then_the_run_completes_and_each_is_quarantined(
    prefect_harness, tmp_path, monkeypatch
):
    from flows.extract_notes import extract_notes

    monkeypatch.setenv("CHARTSIFT_SOURCE__MAX_OBJECT_BYTES", str(4 << 20))
    pills.build_corpus(tmp_path / "src", bomb_bytes=8 << 20, huge_bytes=2 << 20)
    result = extract_notes(source=str(tmp_path / "src"), output=str(tmp_path / "out"), engine="fake")

    assert result["notes_output"] == pills.GOOD + pills.PILL_NOTES
    assert result["quarantine_by_reason"] == pills.EXPECTED
    assert result["notes_input"] == result["notes_output"] + result["notes_quarantined"]
    q = pl.read_delta(str(tmp_path / "out" / "quarantine"))
    assert sorted(q["reason"]) == sorted(r for r, n in pills.EXPECTED.items() for _ in range(n))
    assert not any("Testperson" in m or "9999" in m for m in q["message"])
    notes = pl.read_delta(str(tmp_path / "out" / "notes"))
    assert notes["text"].str.len_chars().max() < 10_000  # the .sp escapes stayed a few blank lines
