"""Training examples for LoRA fine-tuning (transforms.finetune): the target is what the engine
decodes, and never words the de-identified note lacks."""

import pytest

from transforms.errors import ConfigError
from transforms.finetune import build_examples
from transforms.prompts import load_template
from transforms.schema import Extraction

TARGET = {
    "medications": [{"name": "metformin", "dose": "500 mg", "route": "po", "frequency": "BID", "status": "active",
                     "evidence": "Continue metformin 500 mg po BID"}],
    "diagnoses": [{"name": "gout", "status": "unknown", "negated": False, "historical": True, "family_history": False,
                   "evidence": "h/o gout seen by Dr. Quill"}],
    "procedures": [], "labs": [], "vitals": [], "allergies": [], "smoking_status": "never",
}  # fmt: skip


def test_when_deid_changed_a_facts_evidence_then_the_fact_is_dropped_and_counted():
    text = "Continue metformin 500 mg po BID. h/o gout seen by Dr. [PERSON]. Never smoker."
    [ex], stats = build_examples([TARGET], [text], load_template("extract_ft1"))
    answer = Extraction.model_validate_json(ex.answer)
    assert [m.name for m in answer.medications] == ["metformin"] and answer.diagnoses == []
    assert stats.facts == 1 and stats.facts_dropped == 1 and answer.smoking_status == "never"
    assert ex.answer == answer.model_dump_json()  # compact, schema key order: what the engine decodes
    assert ex.messages[-1]["content"].endswith(text) and len(ex.messages) == 2  # no worked example to copy


def test_when_a_target_does_not_fit_the_schema_then_config_error_names_the_field_not_the_value():
    bad = {**TARGET, "medications": [{**TARGET["medications"][0], "status": "sometimes"}]}
    with pytest.raises(ConfigError) as e:
        build_examples([bad], ["Continue metformin 500 mg po BID"], load_template("extract_ft1"))
    assert "medications" in str(e.value) and "sometimes" not in str(e.value)
