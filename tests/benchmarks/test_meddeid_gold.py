"""benchmarks/meddeid_gold.py: meddeid-data's canonical JSONL to chartsift gold, on a record written
here in that shape (the generator itself is AGPL and not installed)."""

import importlib.util

from tests.support import ROOT


def _module():
    spec = importlib.util.spec_from_file_location("meddeid_gold", ROOT / "benchmarks" / "meddeid_gold.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _record(text: str, labelled: list[tuple[str, str]]) -> dict:
    spans = []
    for value, label in labelled:
        start = text.index(value)
        spans.append({"begin": start, "end": start + len(value), "text": value, "label": label})
    return {"document_id": "x", "text": text, "spans": spans, "metadata": {"document_type": "clinic_note"}}


def test_when_a_generated_note_is_converted_then_titles_states_and_professions_are_not_phi():
    text = ("Patient: Ana Ruiz | Date of birth: 02/03/1950 | MRN: 004512/88\n"
            "Address: 12 Elm St, Troy, NY 12180 | Clinician: Dr Lee Park\n"
            "Ana Ruiz is a 74-year-old Bus Driver at Troy Transit Authority.")  # fmt: skip
    rec = _record(text, [("Ana Ruiz", "Name:Patient"), ("02/03/1950", "Age_Birthdate"), ("004512/88", "ID:Patient"),
                         ("12 Elm St, Troy, NY 12180", "Address_Location:Patient"), ("Dr Lee Park", "Name:Caregiver"),
                         ("74-year-old", "Age_Birthdate"), ("Bus Driver", "Profession"),
                         ("Troy Transit Authority", "Organization:Other")])  # fmt: skip
    gold = _module().convert(rec, "dev9", 0)
    got = [(p["text"], p["type"]) for p in gold["phi"]]
    assert got == [("Ana Ruiz", "PERSON"), ("02/03/1950", "DATE"), ("004512/88", "ID"), ("12 Elm St, Troy", "ADDRESS"),
                   ("12180", "ADDRESS"), ("Lee Park", "PERSON"), ("74-year-old", "AGE"),
                   ("Troy Transit Authority", "ORGANIZATION")]  # fmt: skip
    assert all(text[p["start"] : p["end"]] == p["text"] for p in gold["phi"])
    assert gold["id"] == "dev9-meddeid-0000" and gold["meta"]["style"] == "clinic_note"


def test_when_an_age_is_in_months_weeks_or_days_then_it_is_not_phi():
    text = "Ari Lund is a 18-month-old patient; sibling is a 2-week-old."
    rec = _record(text, [("Ari Lund", "Name:Patient"), ("18-month-old", "Age_Birthdate"), ("2-week-old", "Age_Birthdate")])
    assert [(p["text"], p["type"]) for p in _module().convert(rec, "dev9", 0)["phi"]] == [("Ari Lund", "PERSON")]
