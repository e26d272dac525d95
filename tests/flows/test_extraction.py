"""The engine loop over the fake engine with fault injection: truncation retry, broken JSON, transient failure."""

import pytest

from flows.engines.fake import FakeEngine
from transforms.errors import TransientError
from transforms.extraction import run_extraction
from transforms.prompts import load_template

NOTES = ["Plan: metformin 500 mg twice daily.\nAssessment: Type 2 diabetes. Never smoker.",
         "Assessment: asthma. albuterol 2 mg inhaled every 4 hours"]  # fmt: skip


def test_when_answers_are_good_then_facts_are_grounded():
    res = run_extraction(FakeEngine(), load_template(), NOTES, 256, 512)
    assert all(r.error is None for r in res)
    for text, r in zip(NOTES, res, strict=True):
        for f in r.facts:
            if f["evidence_start"] is not None:
                assert text[f["evidence_start"] : f["evidence_end"]] == f["evidence"]
    assert {"metformin", "Type 2 diabetes", "never"} <= {f["name"] for f in res[0].facts}


def test_when_answer_is_truncated_then_one_retry_with_a_larger_budget_recovers():
    engine = FakeEngine(truncate_prob=1.0, truncate_below=512)
    res = run_extraction(engine, load_template(), NOTES, 256, 512)
    assert engine.calls == 2 and all(r.error is None and r.facts for r in res)


def test_when_retry_still_truncates_then_note_gets_an_error_and_no_facts():
    engine = FakeEngine(truncate_prob=1.0, truncate_below=10_000)
    res = run_extraction(engine, load_template(), NOTES, 256, 512)
    assert [r.error for r in res] == ["truncated", "truncated"] and all(r.facts == [] for r in res)


def test_when_json_is_invalid_then_error_row_not_crash():
    res = run_extraction(FakeEngine(invalid_json_prob=1.0), load_template(), NOTES, 256, 512)
    assert [r.error for r in res] == ["invalid_json", "invalid_json"]


def test_when_engine_fails_transiently_then_error_is_transient():
    with pytest.raises(TransientError):
        run_extraction(FakeEngine(fail_prob=1.0), load_template(), NOTES, 256, 512)


def test_when_note_exceeds_context_then_it_is_chunked_and_facts_map_back():
    long = ("Assessment: hypertension.\n" + "Stable today. " * 400 + "\nPlan: lisinopril 10 mg daily.\n")
    engine = FakeEngine(max_model_len=1024)
    [r] = run_extraction(engine, load_template(), [long], 128, 256)
    assert r.n_chunks > 1 and r.error is None
    meds = [f for f in r.facts if f["fact_type"] == "medication"]
    assert meds and long[meds[0]["evidence_start"] : meds[0]["evidence_end"]] == meds[0]["evidence"]
