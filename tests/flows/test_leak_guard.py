"""The leak guard, end to end: a deliberately weakened de-identifier lets a name through, and a
model that repeats a patient's name in a fact; both notes are blocked and recorded."""

import polars as pl
import pytest
from presidio_anonymizer.entities import OperatorConfig

from flows.engines.fake import FakeEngine
from flows.extract_notes import extract_notes
from transforms.deid import Deidentifier

pytestmark = pytest.mark.integration


def test_when_a_weakened_deidentifier_lets_a_name_through_then_the_guard_blocks_and_records_it(
    prefect_harness, tmp_path, monkeypatch
):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("Patient: Harold Beckwith. Assessment: asthma.")
    (src / "b.txt").write_text("Assessment: gout. Plan: colchicine 0.6 mg daily.")
    real = Deidentifier._operator

    def weakened(self, entity, scope, shift, *rest):
        return OperatorConfig("keep") if entity == "PERSON" else real(self, entity, scope, shift, *rest)

    monkeypatch.setattr(Deidentifier, "_operator", weakened)
    result = extract_notes(source=str(src), output=str(tmp_path / "out"), engine="fake")

    assert result["phi_leaks"] == 1 and result["status"] == "completed_with_alerts" and result["alerts"]
    assert (result["notes_input"], result["notes_output"], result["notes_quarantined"]) == (2, 1, 1)
    q = pl.read_delta(str(tmp_path / "out" / "quarantine"))
    assert q["reason"].to_list() == ["phi_leak"] and "Beckwith" not in q["message"][0]
    notes = pl.read_delta(str(tmp_path / "out" / "notes"))
    assert not notes["text"].str.contains("Beckwith").any()
    runs = pl.read_delta(str(tmp_path / "out" / "runs"))
    assert runs["phi_leaks"].to_list() == [1]


def test_when_a_model_repeats_a_patient_name_in_a_fact_then_that_note_is_blocked(prefect_harness, tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("Patient: Margaret Ellison, seen today. Assessment: asthma.")
    (src / "b.txt").write_text("Assessment: gout.")
    real = FakeEngine._answer

    def hallucinating(note):
        out = real(note)
        if "asthma" in note:
            out["diagnoses"].append({"name": "asthma in Margaret Ellison", "status": "active", "negated": False,
                                     "historical": False, "family_history": False, "evidence": "asthma"})  # fmt: skip
        return out

    monkeypatch.setattr(FakeEngine, "_answer", staticmethod(hallucinating))
    result = extract_notes(source=str(src), output=str(tmp_path / "out"), engine="fake")
    assert result["phi_leaks"] == 1 and result["notes_output"] == 1
    facts = pl.read_delta(str(tmp_path / "out" / "facts"))
    assert not facts["name"].str.contains("Ellison").any()
    q = pl.read_delta(str(tmp_path / "out" / "quarantine"))
    assert q.filter(pl.col("reason") == "phi_leak")["stage"].to_list() == ["extract"]
