from transforms.extract_eval import ExtractEvaluation, names_match, report_lines, score_note

GOLD = {"medications_prescribed": [{"name": "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet"},
                                   {"name": "Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray"}],
        "medications_listed": [{"name": "metformin hydrochloride 500 MG Oral Tablet"}],
        "conditions_diagnosed": [{"name": "Hypertension (disorder)"}]}  # fmt: skip


def fact(kind, name, dose=""):
    return {"fact_type": kind, "name": name, "attributes": {"dose": dose} if dose else {}}


def test_when_names_differ_in_form_words_and_qualifiers_then_they_still_match():
    assert names_match("metformin", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet")
    assert names_match("hypertension", "Hypertension (disorder)")
    assert not names_match("lisinopril", "Hypertension (disorder)")


def test_when_facts_are_scored_then_precision_recall_and_dose_follow_the_gold():
    ev = ExtractEvaluation()
    facts = [fact("medication", "Metformin", "500 mg"), fact("medication", "aspirin", "81 mg"),
             fact("diagnosis", "hypertension")]  # fmt: skip
    score_note(ev, GOLD, facts, None)
    med, dx = ev.by_type["medication"], ev.by_type["diagnosis"]
    assert (med.gold, med.extracted, med.matched_gold, med.matched_extracted) == (2, 2, 1, 1)  # listed dup merged
    assert (med.dose_scored, med.dose_correct) == (1, 1)
    assert (dx.precision, dx.recall) == (1.0, 1.0)
    assert report_lines(ev)[-1].startswith("medication_precision=0.500 medication_recall=0.500")
