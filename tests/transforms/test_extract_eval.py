from transforms.extract_eval import (
    ExtractEvaluation,
    copied_from_example,
    example_facts,
    figures,
    names_match,
    report_lines,
    score_note,
    summary_line,
)

GOLD = {"medications_prescribed": [{"name": "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"},
                                   {"name": "Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray"}],
        "medications_listed": [{"name": "metformin hydrochloride 500 MG Oral Tablet"}],
        "conditions_diagnosed": [{"name": "Hypertension (disorder)"}]}  # fmt: skip


def fact(kind, name, grounding="exact", **attributes):
    return {"fact_type": kind, "name": name, "attributes": attributes, "grounding": grounding}


def test_when_names_differ_in_form_words_and_qualifiers_then_they_still_match():
    assert names_match("metformin", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet")
    assert names_match("hypertension", "Hypertension (disorder)")
    assert not names_match("lisinopril", "Hypertension (disorder)")
    assert names_match("A1c", "a1c") and not names_match("A1c", "INR")  # short names: the same string


def test_when_facts_are_scored_against_synthea_lists_then_precision_recall_and_dose_follow_the_gold():
    ev = ExtractEvaluation()
    facts = [fact("medication", "Metformin", dose="500 mg"), fact("medication", "aspirin", dose="81 mg"),
             fact("diagnosis", "hypertension"), fact("diagnosis", "asthma", negated="true"),
             fact("medication", "insulin", grounding="ungrounded")]  # fmt: skip
    score_note(ev, {"gold": GOLD}, facts, None)
    med, dx = ev.by_type["medication"], ev.by_type["diagnosis"]
    assert set(ev.by_type) == {"medication", "diagnosis"}  # Synthea gold scores only these
    assert (med.gold, med.extracted, med.matched_gold, med.matched_extracted) == (2, 2, 1, 1)  # listed dup merged
    assert med.attributes["dose"] == [1, 1]
    assert (dx.precision, dx.recall) == (1.0, 1.0)  # a negated mention is not held against the patient's list
    assert (ev.facts, ev.grounded) == (5, 4)  # the ungrounded fact is not scored, only counted
    assert summary_line(ev).startswith("medication_precision=0.500 medication_recall=0.500 medication_dose_accuracy=1.000")


TARGET = {"medications": [{"name": "senna", "dose": "17.2 mg", "route": "po", "frequency": "", "status": "active",
                           "evidence": "On senna 17.2 mg po"}],
          "diagnoses": [{"name": "opioid use disorder", "status": "unknown", "negated": True, "historical": False,
                         "family_history": False, "evidence": "Negative for opioid use disorder"}],
          "procedures": [], "labs": [{"name": "A1c", "value": "8.1", "unit": "%", "flag": "high", "evidence": "A1c 8.1%"}],
          "vitals": [{"name": "heart_rate", "value": "64", "unit": "", "evidence": "pulse 64"}],
          "allergies": [], "smoking_status": "never"}  # fmt: skip


def test_when_the_gold_is_a_full_target_then_every_type_and_its_attributes_are_scored():
    ev = ExtractEvaluation()
    facts = [fact("medication", "Senna", dose="17.2 mg", route="oral", status="new"),
             fact("diagnosis", "opioid use disorder"),  # negation missed
             fact("lab", "a1c", value="8.1", flag="high"), fact("vital", "heart_rate", value="66"),
             fact("vital", "temperature", value="37"), fact("smoking_status", "never", grounding="keyword")]  # fmt: skip
    score_note(ev, {"target": TARGET}, facts, None, "On senna 17.2 mg po")
    s = ev.by_type
    assert set(s) == {"medication", "diagnosis", "procedure", "lab", "vital", "allergy", "smoking_status"}
    assert s["medication"].attributes == {"dose": [1, 1], "route": [1, 1], "status": [1, 0]}  # po == oral
    assert s["diagnosis"].attributes["negated"] == [1, 0] and s["diagnosis"].recall == 1.0
    assert s["lab"].attributes == {"value": [1, 1], "flag": [1, 1]}
    assert (s["vital"].precision, s["vital"].recall, s["vital"].attributes["value"]) == (0.5, 1.0, [1, 0])
    assert s["smoking_status"].recall == 1.0 and s["procedure"].precision == 1.0
    rows = figures(ev)
    assert rows["medication.route accuracy"] == "1.000 (1)" and rows["grounded rate"] == "1.000 (6 / 6)"


def test_when_a_fact_names_the_prompt_example_and_the_note_does_not_then_it_is_counted_as_copied():
    assert ("medication", "metformin") in example_facts()
    vital = next(v for k, v in example_facts() if k == "vital")
    assert copied_from_example(fact("vital", "blood_pressure", value=vital), "BP 120/70")
    assert not copied_from_example(fact("vital", "blood_pressure", value="120/70"), "BP 120/70")
    note = "Plan: lisinopril 10 mg daily."
    assert copied_from_example(fact("medication", "metformin"), note)
    assert not copied_from_example(fact("medication", "metformin"), note + " Continue metformin.")
    assert not copied_from_example(fact("medication", "lisinopril"), note)


def test_when_runs_are_reported_side_by_side_then_each_metric_is_one_row():
    a, b = ExtractEvaluation(), ExtractEvaluation()
    score_note(a, {"target": TARGET}, [], None)
    score_note(b, {"target": TARGET}, [fact("medication", "senna", dose="17.2 mg")], None)
    lines = report_lines([("base", figures(a)), ("adapter-x", figures(b))])
    assert lines[0].split() == ["metric", "base", "adapter-x"]
    row = next(line for line in lines if line.startswith("medication recall"))
    assert row.split()[-2:] == ["0.000", "1.000"]
