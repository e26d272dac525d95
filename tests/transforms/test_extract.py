import json

import pytest

from transforms.chunking import Chunk, chunk_text
from transforms.codes import GROUNDED
from transforms.extract import (
    facts_from_extraction,
    ground,
    locate,
    mentions,
    merge_chunk_facts,
    parse_answer,
)
from transforms.schema import Extraction, clauses, extraction_json_schema, grounded_json_schema, note_spans

GOOD = {"medications": [{"name": "metformin", "dose": "500 mg", "route": "", "frequency": "twice daily",
                         "status": "active", "evidence": "metformin 500 mg twice daily"}],
        "diagnoses": [{"name": "diabetes", "status": "active", "negated": False, "historical": False,
                       "family_history": True, "evidence": "Type 2 diabetes"}],
        "procedures": [], "labs": [{"name": "A1c", "value": "7.9", "unit": "%", "flag": "high", "evidence": "A1c 7.9%"}],
        "vitals": [], "allergies": [], "smoking_status": "never"}  # fmt: skip


def test_when_answer_is_valid_then_it_parses():
    assert parse_answer(json.dumps(GOOD), "stop").extraction is not None


def test_when_answer_is_broken_then_error_codes_say_why():
    assert parse_answer('{"medications": [', "stop").error == "invalid_json"
    assert parse_answer(json.dumps(GOOD), "length").error == "truncated"
    assert parse_answer("  ", "stop").error == "empty_output"
    assert parse_answer('{"medications": [' + " " * 60, "length").error == "runaway_output"
    assert parse_answer('{"labs": [{"value": "1' + "0" * 50, "length").error == "runaway_output"
    assert parse_answer(json.dumps({**GOOD, "smoking_status": "sometimes"}), "stop").error == "schema_violation"
    assert parse_answer(json.dumps({**GOOD, "extra": 1}), "stop").error == "schema_violation"


def test_when_schema_is_generated_then_lists_and_strings_are_bounded():
    s = extraction_json_schema()
    assert s["properties"]["medications"]["maxItems"] == 8
    assert s["$defs"]["Medication"]["properties"]["evidence"]["maxLength"] == 160


def test_when_evidence_is_found_then_offsets_select_it_exactly():
    text = "Plan: continue Metformin 500 mg  twice daily."
    for ev, status in [("Metformin 500 mg", "exact"), ("metformin 500 MG", "case_insensitive"),
                       ("metformin 500 mg twice daily", "whitespace_normalized")]:  # fmt: skip
        g = ground(text, ev)
        assert g.status == status
        assert text[g.start : g.end].lower().split() == ev.lower().split()
    assert ground(text, "insulin glargine").status == "ungrounded"
    g = ground("Allergic to bee stings (shortness of breath).", "bee stings - shortness of breath")
    assert g.status == "token_aligned" and g.start == 12
    assert ground("thin", "hi n").status == "ungrounded"  # token alignment starts and ends on word boundaries


def test_when_evidence_does_not_name_the_fact_then_it_is_a_mismatch_and_not_grounded():
    text = "Plan: start lisinopril 10 mg daily. BP 150/90. HTN."
    assert locate(text, "medication", "lisinopril", {}, "lisinopril 10 mg").status == "exact"
    wrong = locate(text, "medication", "amlodipine", {}, "lisinopril 10 mg")
    assert wrong.status == "evidence_mismatch" and wrong.status not in GROUNDED
    assert locate(text, "vital", "blood_pressure", {"value": "150/90"}, "BP 150/90").status == "exact"
    assert locate(text, "vital", "heart_rate", {"value": "88"}, "BP 150/90").status == "evidence_mismatch"
    # an abbreviation the name spells out is not checked against a dictionary: audit, not facts
    assert locate(text, "diagnosis", "hypertension", {}, "HTN").status == "evidence_mismatch"
    assert mentions("diagnosis", "hypertension", {}, "hypertensive urgency")
    assert locate(text, "medication", "lisinopril", {}, "lisinopril 20 mg").status == "name_only"  # 20 is not there
    c = locate(text, "medication", "lisinopril", {}, "Started lisinopril 10 mg")  # the model's quote, slightly off
    assert (c.status, text[c.start : c.end]) == ("clause", "Plan: start lisinopril 10 mg daily")
    v = locate("Vitals: pulse 64, sats 90%.", "vital", "heart_rate", {"value": "64"}, "heart_rate 64")
    assert (v.status, v.start, v.end) == ("keyword", 8, 16)
    assert locate("Vitals: pulse 164.", "vital", "heart_rate", {"value": "64"}, "heart_rate 64").status == "ungrounded"
    assert locate(text, "medication", "warfarin", {}, "warfarin 5 mg").status == "ungrounded"


def test_when_smoking_status_is_given_then_it_is_grounded_to_the_sentence_naming_tobacco():
    text = "Social: lives alone; Former smoker, quit 2010. Drinks socially."
    g = locate(text, "smoking_status", "former", {}, "")
    assert (g.status, text[g.start : g.end]) == ("keyword", "Former smoker, quit 2010")
    assert locate("No social history recorded.", "smoking_status", "never", {}, "").status == "ungrounded"


def test_when_facts_come_from_a_later_chunk_then_offsets_point_into_the_whole_note():
    note = "A" * 50 + " Type 2 diabetes. metformin 500 mg twice daily."
    chunk = Chunk(1, 50, note[50:])
    facts = facts_from_extraction(Extraction.model_validate(GOOD), note, chunk)
    for f in facts:
        if f["evidence_start"] is not None:
            assert note[f["evidence_start"] : f["evidence_end"]] == f["evidence"]
    assert {f["fact_type"] for f in facts} == {"medication", "diagnosis", "lab", "smoking_status"}
    dx = next(f for f in facts if f["fact_type"] == "diagnosis")
    assert dx["attributes"] == {"status": "active", "family_history": "true"}


def test_when_chunks_overlap_then_duplicate_facts_merge():
    f = {"fact_type": "diagnosis", "name": "Asthma", "attributes": {}, "evidence": "asthma", "evidence_start": 5}
    assert len(merge_chunk_facts([f, dict(f), {**f, "evidence_start": 90}])) == 2


def test_when_note_is_long_then_chunks_cover_it_with_overlap_and_true_offsets():
    text = "\n\n".join(f"Section {i}. " + "word " * 60 for i in range(20))
    chunks = chunk_text(text, 500, overlap=100)
    assert len(chunks) > 1
    for c in chunks:
        assert text[c.start : c.start + len(c.text)] == c.text and len(c.text) <= 500
    assert chunks[-1].start + len(chunks[-1].text) == len(text)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start < a.start + len(a.text)  # overlap, no gap


def test_when_quotes_are_listed_then_they_are_whole_words_within_one_clause():
    text = "Vitals: sats 90%, pulse 64.\nAllergic to penicillin (rash).; Plan: aspirin 81 mg"
    spans = set(note_spans(text, max_chars=160, max_words=24))
    assert {"sats 90%", "pulse 64", "Allergic to penicillin (rash)", "rash", "aspirin 81 mg"} <= spans
    assert not any("\n" in x or ";" in x for x in spans)  # never across a line or a semicolon
    assert "ats 90" not in spans and "64.\nAllergic" not in spans


def test_when_decoding_is_grounded_then_the_schema_accepts_only_quotes_of_the_note():
    import jsonschema

    text = "Plan: start metformin 500 mg twice daily. Type 2 diabetes."
    schema = grounded_json_schema(text)
    good = {**GOOD, "diagnoses": [{**GOOD["diagnoses"][0], "evidence": "Type 2 diabetes"}], "labs": [],
            "smoking_status": "unknown"}  # fmt: skip
    jsonschema.validate(good, schema)
    for bad in ({**good, "labs": GOOD["labs"]},  # "A1c 7.9%" is not in this note
                {**good, "medications": [{**GOOD["medications"][0], "name": "metformine"}]}):  # a misspelt copy
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
    jsonschema.validate(good, extraction_json_schema())  # a subset of the free schema


def _med(name: str, evidence: str) -> dict:
    return {"name": name, "dose": "", "route": "", "frequency": "", "status": "active", "evidence": evidence}


def _valid(doc: dict, schema: dict) -> bool:
    import jsonschema

    return jsonschema.Draft202012Validator(schema).is_valid(doc)


def test_when_decoding_is_grounded_then_a_fact_is_tied_to_one_clause_of_the_note():
    text = ("VS: BP 120/80, pulse 64. History of gout. Start colchicine 0.6 mg; lisinopril\n"
            "Allergies: penicillin (rash)\nSmoker.\nMedications:\n- senna")  # fmt: skip
    schema = grounded_json_schema(text)
    empty = {"medications": [], "diagnoses": [], "procedures": [], "labs": [], "vitals": [], "allergies": [],
             "smoking_status": "unknown"}  # fmt: skip

    def ok(**lists) -> bool:
        return _valid({**empty, **lists}, schema)

    assert ok(medications=[_med("colchicine", "Start colchicine 0.6 mg")])
    assert not ok(medications=[_med("colchicine", "History of gout")])  # another sentence's evidence
    assert not ok(medications=[_med("lisinopril", "Start colchicine 0.6 mg")])  # across a semicolon
    assert ok(medications=[_med("senna", "- senna")])  # a medication list: no dose or verb needed
    assert not ok(medications=[_med("gout", "History of gout")])  # a clause that does not speak of medication
    assert not ok(medications=[_med("penicillin", "penicillin (rash)")])  # a drug the patient reacts to
    assert not ok(medications=[_med("Start", "Start colchicine 0.6 mg")])  # a verb names no drug
    assert ok(allergies=[{"substance": "penicillin", "reaction": "rash", "evidence": "Allergies: penicillin (rash)"}])
    assert not ok(allergies=[{"substance": "colchicine", "reaction": "", "evidence": "Start colchicine 0.6 mg"}])
    vital = {"name": "heart_rate", "value": "64", "unit": "", "evidence": "pulse 64"}
    assert ok(vitals=[vital])
    assert not ok(vitals=[{**vital, "value": "120"}])  # not the number written after "pulse"
    assert not ok(vitals=[{**vital, "name": "temperature"}])  # no temperature's words here
    dx = {"name": "gout", "status": "active", "negated": False, "historical": True, "family_history": False,
          "evidence": "History of gout"}  # fmt: skip
    assert ok(diagnoses=[dx])
    assert not ok(diagnoses=[{**dx, "name": "BP", "evidence": "VS: BP 120/80"}])  # a vital's words name no diagnosis
    assert ok(smoking_status="current")
    assert not _valid({**empty, "smoking_status": "current"}, grounded_json_schema("Start colchicine 0.6 mg"))


def test_when_the_de_identifier_wrote_a_surrogate_then_no_fact_is_named_by_it():
    text = "WIFE (ARDEN) AT BEDSIDE. Start aspirin 81 mg."
    schema = grounded_json_schema(text, ["ARDEN"])
    empty = {"medications": [], "diagnoses": [], "procedures": [], "labs": [], "vitals": [], "allergies": [],
             "smoking_status": "unknown"}  # fmt: skip
    dx = {"name": "ARDEN", "status": "active", "negated": False, "historical": False, "family_history": False,
          "evidence": "WIFE (ARDEN) AT BEDSIDE"}  # fmt: skip
    assert _valid({**empty, "diagnoses": [dx]}, grounded_json_schema(text))
    assert not _valid({**empty, "diagnoses": [dx]}, schema)
    assert not _valid({**empty, "diagnoses": [{**dx, "name": "ARDEN) AT BEDSIDE"}]}, schema)  # holds the surrogate
    assert _valid({**empty, "medications": [_med("aspirin", "Start aspirin 81 mg")]}, schema)
    extraction = Extraction.model_validate({**empty, "diagnoses": [dx]})
    [fact] = facts_from_extraction(extraction, text, Chunk(0, 0, text), ["ARDEN"])
    assert fact["grounding"] == "surrogate" and fact["grounding"] not in GROUNDED
    [fact] = facts_from_extraction(extraction, text, Chunk(0, 0, text))
    assert fact["grounding"] == "exact"  # without the surrogate list, only the schema would have stopped it


def test_when_a_quote_stands_in_several_clauses_then_the_one_that_fits_the_fact_grounds_it():
    text = "VS: SpO2 94%\nAllergies: lasix (rash)\nPlan: lasix 40 mg iv, O2 2L"
    med = locate(text, "medication", "lasix", {}, "lasix")
    assert med.status == "exact" and med.start == text.index("lasix 40")  # not the allergy line's
    assert locate(text, "allergy", "lasix", {}, "lasix").start == text.index("lasix (rash)")
    assert locate(text, "medication", "O2", {}, "O2").start == text.index("O2 2L")  # a whole word, not SpO2's


def test_when_a_note_is_cut_into_clauses_then_sentences_end_but_abbreviations_do_not():
    assert clauses("Dx: gout. Start colchicine 0.6 mg p.o. Daily; Dr. Lee saw him\n\nAllergies: none") == [
        "Dx: gout.", "Start colchicine 0.6 mg p.o. Daily", " Dr. Lee saw him", "Allergies: none"]


def test_when_a_fact_breaks_a_type_rule_then_it_is_not_grounded():
    text = ("History of gout. Start colchicine 0.6 mg\nAllergies: penicillin (rash); takes aspirin\n"
            "Discharge medications:\n- senna\nVS: RR 18")  # fmt: skip
    assert locate(text, "medication", "colchicine", {}, "Start colchicine 0.6 mg").status == "exact"
    assert locate(text, "medication", "gout", {}, "History of gout").status == "evidence_mismatch"
    assert locate(text, "medication", "penicillin", {}, "penicillin (rash)").status == "evidence_mismatch"
    assert locate(text, "medication", "aspirin", {}, "takes aspirin").status == "exact"  # its own clause
    assert locate(text, "medication", "takes", {}, "takes aspirin").status == "evidence_mismatch"
    assert locate(text, "medication", "senna", {}, "- senna").status == "exact"  # in a medication list
    assert locate(text, "diagnosis", "RR", {}, "RR 18").status == "evidence_mismatch"
    assert locate(text, "diagnosis", "gout", {}, "History of gout").status == "exact"


def test_when_an_allergy_sits_on_a_line_that_is_not_about_allergies_then_it_is_not_grounded():
    text = "Medications: lisinopril 20 mg daily\nAllergies: penicillin (rash)"
    assert locate(text, "allergy", "penicillin", {}, "penicillin").status == "exact"
    assert locate(text, "allergy", "lisinopril", {}, "lisinopril 20 mg daily").status == "evidence_mismatch"
