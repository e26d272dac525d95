"""The extraction stage over the fake engine with fault injection: truncation retry, broken JSON,
transient failure; provenance and the fact leak guard, without Prefect."""

import pytest

from flows.engines.fake import FakeEngine
from transforms.codes import GROUNDED
from transforms.deid.leaks import phi_tokens
from transforms.errors import TransientError
from transforms.extraction import ExtractPolicy, extract_facts, run_extraction
from transforms.prompts import load_template
from transforms.records import PhiSpan

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


def test_when_decoding_is_grounded_then_each_chunk_gets_a_schema_of_its_own_quotes():
    seen = []

    class Recording(FakeEngine):
        def generate(self, requests):
            seen.extend(r.json_schema for r in requests)
            return super().generate(requests)

    res = run_extraction(Recording(), load_template(), NOTES, 256, 512, grounded=True)
    assert all(r.error is None for r in res) and len(seen) == 2
    quotes = [{q for k, d in s["$defs"].items() if k.startswith("Quote") for q in d["enum"]} for s in seen]
    assert any("metformin 500 mg twice daily" in q for q in quotes) and any("asthma" in q for q in quotes)
    assert not any("metformin 500 mg twice daily" in q and "asthma" in q for q in quotes)


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


# -- the stage: transforms.extraction.extract_facts, without Prefect ---------------------------------

SECRET = b"extraction-stage-test-key-0123456789"


def staged(i: int, text: str, phi: list[tuple[int, int]] = ()) -> dict:
    """A staged note row as the de-identification task writes it (phi: spans whose values are PHI)."""
    return {"note_key": f"n{i}", "patient_key": f"p{i}", "text": text, "deid_version": "deid-test",
            "source_key": f"s{i}", "source_format": "jsonl",
            "phi_tokens": phi_tokens(SECRET, text, [PhiSpan(a, b, "PERSON") for a, b in phi])}  # fmt: skip


def policy() -> ExtractPolicy:
    return ExtractPolicy(max_tokens=256, retry_max_tokens=512, secret=SECRET)


def test_when_notes_are_extracted_then_each_note_comes_back_once_with_provenance_on_every_fact():
    notes = [staged(i, t) for i, t in enumerate(NOTES)]
    out = extract_facts(notes, FakeEngine(), load_template(), policy(), "run-1")
    assert [n["note_key"] for n in out.notes] == ["n0", "n1"] and out.quarantined == [] and out.n_errors == 0
    assert all(n["extraction_status"] == "ok" and n["run_id"] == "run-1" for n in out.notes)
    assert sum(n["n_facts"] for n in out.notes) == len(out.facts) > 0
    template = load_template()
    for f in out.facts:
        assert (f["model_id"], f["prompt_version"], f["deid_version"], f["run_id"]) == (
            "chartsift/fake-extractor", template.version, "deid-test", "run-1")
        assert f["patient_key"] == {"n0": "p0", "n1": "p1"}[f["note_key"]]
    again = extract_facts(notes, FakeEngine(), load_template(), policy(), "run-2")
    assert [f["fact_id"] for f in again.facts] == [f["fact_id"] for f in out.facts]  # stable across runs
    assert out.notes[0] is not notes[0] and "run_id" not in notes[0]  # new rows; the input is untouched


def test_when_a_fact_repeats_a_phi_value_of_its_note_then_the_fact_leak_guard_quarantines_the_note():
    text = NOTES[0]
    start = text.index("metformin")  # pretend the analyzer had found "metformin" as a name
    notes = [staged(0, text, [(start, start + len("metformin"))]), staged(1, NOTES[1])]
    out = extract_facts(notes, FakeEngine(), load_template(), policy(), "run-1")
    assert [n["note_key"] for n in out.notes] == ["n1"] and {f["note_key"] for f in out.facts} == {"n1"}
    [q] = out.quarantined
    assert (q.stage, q.reason, q.note_key, q.source_uri) == ("extract", "phi_leak", "n0", "s0")
    assert "metformin" not in q.message


def test_when_a_fact_is_not_grounded_then_it_goes_to_audit_and_never_to_facts():
    from tests.support import MisquotingEngine  # every diagnosis quotes words the note does not hold

    out = extract_facts([staged(i, t) for i, t in enumerate(NOTES)], MisquotingEngine(), load_template(), policy(), "r")
    assert out.facts and out.ungrounded
    assert all(f["grounding"] in GROUNDED for f in out.facts)
    assert {f["fact_type"] for f in out.ungrounded} == {"diagnosis"}
    assert all(f["grounding"] not in GROUNDED for f in out.ungrounded)
    assert sum(n["n_facts"] for n in out.notes) == len(out.facts)
    assert sum(n["n_facts_ungrounded"] for n in out.notes) == len(out.ungrounded)
    assert not {f["fact_id"] for f in out.facts} & {f["fact_id"] for f in out.ungrounded}


def test_when_a_staged_note_carries_its_surrogates_then_a_fact_named_by_one_goes_to_audit():
    note = {**staged(0, NOTES[0]), "surrogates": ["Type 2 diabetes"]}  # pretend the de-identifier wrote it
    out = extract_facts([note], FakeEngine(), load_template(), policy(), "r")
    assert any(f["name"] == "metformin" for f in out.facts)
    assert not any("diabetes" in f["name"].lower() for f in out.facts)
    assert [f["grounding"] for f in out.ungrounded if "diabetes" in f["name"].lower()] == ["surrogate"]


def test_when_answers_fail_then_notes_stay_with_an_error_and_no_facts():
    out = extract_facts([staged(0, NOTES[0])], FakeEngine(invalid_json_prob=1.0), load_template(), policy(), "r")
    assert out.n_errors == 1 and out.facts == [] and out.notes[0]["extraction_error"] == "invalid_json"
