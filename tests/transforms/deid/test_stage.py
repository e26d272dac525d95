"""The de-identification stage (transforms.deid.stage) without Prefect: keys, the text leak guard,
quarantine and the time budget. The real de-identifier where behaviour matters; a stub one only
to force outcomes the real one must never produce (a leak)."""

from transforms.deid import DeidError, DeidResult
from transforms.deid.stage import DeidOutcome, deidentify_notes, note_keys, staged_row
from transforms.records import PhiSpan, SourceNote


def note(i: str, text: str, patient: str | None = None, ntype: str | None = None) -> SourceNote:
    return SourceNote(i, text, f"/src/{i}.txt", "file", "txt", patient, "2024-03-01", ntype)


def test_when_notes_are_deidentified_then_each_comes_back_once_keyed_by_object_and_patient(deidentifier):
    notes = [note("visit", "Seen by Dr. Miriam Oyelaran on 03/01/2024. BP 120/80.", "p1", "Progress note"),
             note("visit", "Ferrous sulfate 325 mg daily.", "p1")]  # fmt: skip
    out = deidentify_notes(notes, ["a/visit.txt", "b/visit.txt"], deidentifier)
    assert len(out.notes) == 2 and out.quarantined == []
    a, b = out.notes
    assert a.note_key != b.note_key and a.patient_key == b.patient_key  # same id, other objects; one patient
    assert "Oyelaran" not in a.result.text and a.title == "Progress note" and a.phi_tokens
    row = staged_row(a, "v", "run-1", "sk")
    assert row["text"] == a.result.text and row["phi_total"] == sum(a.result.phi_counts.values()) > 0
    assert row["surrogates"] and all(s in a.result.text for s in row["surrogates"])  # what extraction must not name
    assert "Oyelaran" not in " ".join(row["surrogates"])
    assert out.phi["PERSON"] >= 1


def test_when_a_note_fails_de_identification_then_it_is_quarantined_never_returned(deidentifier):
    class Failing:
        policy = deidentifier.policy

        def process_batch(self, items):
            return [DeidError("analysis failed: TypeError") for _ in items]

    out = deidentify_notes([note("n1", "Seen by Dr. Oyelaran.", ntype="x")], ["n1.txt"], Failing())
    assert out.notes == [] and [(q.stage, q.reason, q.message) for q in out.quarantined] == [
        ("deid", "deid_error", "analysis failed: TypeError")]  # fmt: skip
    assert out.quarantined[0].note_key == note_keys(deidentifier.policy.secret, note("n1", ""), "n1.txt")[0]


def test_when_found_phi_survives_de_identification_then_the_leak_guard_quarantines_the_note(deidentifier):
    text = "Seen by Dr. Miriam Oyelaran today."

    class Leaky:  # finds the name, then "forgets" to replace it: what the guard exists for
        policy = deidentifier.policy

        def process_batch(self, items):
            return [([PhiSpan(12, 27, "PERSON")], DeidResult(t, [PhiSpan(12, 27, "PERSON")], None, {"PERSON": 1}))
                    for t, _, _ in items]  # fmt: skip

    out = deidentify_notes([note("n1", text)], ["n1.txt"], Leaky())
    assert out.notes == [] and out.n_leaks == 1
    assert "Oyelaran" not in out.quarantined[0].message and "PERSON" in out.quarantined[0].message


def test_when_the_time_budget_runs_out_then_the_notes_not_started_are_quarantined_as_time_budget(deidentifier):
    ticks = iter(range(0, 1000, 10))  # each look at the clock is 10 s later: start 0, batches at 10, 20, 30
    notes = [note(f"n{i}", f"Assessment: stable {i}.") for i in range(5)]
    out = deidentify_notes(notes, [f"n{i}.txt" for i in range(5)], deidentifier, budget_s=15, clock=lambda: next(ticks),
                           batch=2)  # fmt: skip
    assert [n.source.source_id for n in out.notes] == ["n0", "n1"]  # the batch started at 10 s; 20 s is over 15
    assert [(q.locator, q.reason) for q in out.quarantined] == [("file", "time_budget")] * 3
    assert len(out.notes) + len(out.quarantined) == len(notes)


def test_when_there_is_nothing_to_do_then_the_outcome_is_empty(deidentifier):
    assert deidentify_notes([], [], deidentifier) == DeidOutcome()


def test_when_bare_texts_are_deidentified_then_each_comes_back_in_place_blocked_or_not(deidentifier):
    from transforms.deid.stage import deidentify_texts

    done = deidentify_texts(["Seen by Dr. Miriam Oyelaran.", "Assessment: gout."], "gold.jsonl", deidentifier)
    assert [d[1] for d in done] == [False, False] and "Oyelaran" not in done[0][0].result.text
    assert done[1][0].result.text == "Assessment: gout." and done[0][0].source.locator == "line 1"
