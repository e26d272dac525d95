from transforms.deid.evaluate import Evaluation, report_lines, scorable_gold, score_note

TEXT = "Seen by Ann Lee on 3/4/2024, age 95, MRN 12345."
GOLD = [{"start": 8, "end": 15, "type": "PERSON", "text": "Ann Lee"},
        {"start": 19, "end": 27, "type": "DATE", "text": "3/4/2024"},
        {"start": 33, "end": 35, "type": "AGE", "text": "95"},
        {"start": 41, "end": 46, "type": "MRN", "text": "12345"}]  # fmt: skip


def test_when_everything_is_caught_then_scores_are_perfect():
    ev = Evaluation()
    score_note(ev, TEXT, GOLD, [(g["start"], g["end"], g["type"]) for g in GOLD], "Seen by X on Y, age 90+, MRN Z.")
    assert (ev.overall.recall, ev.overall.precision, ev.span_recall, ev.leaks) == (1.0, 1.0, 1.0, 0)


def test_when_a_name_is_missed_and_a_word_overmasked_then_recall_precision_and_leaks_drop():
    ev = Evaluation()
    pred = [(19, 27, "DATE"), (33, 35, "AGE"), (41, 46, "MRN"), (0, 4, "PERSON")]  # "Seen" masked, name missed
    score_note(ev, TEXT, GOLD, pred, TEXT.replace("3/4/2024", "X"))
    assert ev.by_gold_type["PERSON"].recall == 0.0
    # alphanumeric characters only: gold 6+6+2+5 = 19, caught 13; predicted 13 + 4 ("Seen")
    assert ev.overall.recall == 13 / 19 and ev.overall.precision == 13 / 17
    assert ev.span_recall == 0.75 and ev.leaks == 3  # name, age and MRN still in the output text
    assert report_lines(ev)[-1].startswith("recall=0.6842 precision=0.7647 span_recall=0.7500 leaks=3 notes=1")


def test_when_gold_marks_ages_under_90_then_safe_harbor_scoring_drops_them():
    phi = [{"start": 0, "end": 2, "type": "AGE", "text": "16"}, {"start": 3, "end": 5, "type": "AGE", "text": "93"}]
    assert [p["text"] for p in scorable_gold(phi)] == ["93"]
    assert len(scorable_gold(phi, safe_harbor_ages=False)) == 2


def test_when_a_surrogate_equals_a_gold_string_then_it_is_no_leak_but_a_string_left_in_place_is():
    text = "Morgan saw Ann Lee."
    gold = [{"start": 0, "end": 6, "type": "PERSON", "text": "Morgan"},
            {"start": 11, "end": 18, "type": "PERSON", "text": "Ann Lee"}]  # fmt: skip
    out = "Morgan saw Morgan."  # the first name kept (missed); "Ann Lee" became the surrogate "Morgan"
    ev = Evaluation()
    score_note(ev, text, gold, [(11, 18, "PERSON")], out, written=[(11, 17, 11, 18)])
    assert ev.leaks == 1 and dict(ev.leaked_types) == {"PERSON": 1}  # the missed one, in place
    caught = Evaluation()
    score_note(caught, text, gold, [(0, 6, "PERSON"), (11, 18, "PERSON")], "Morgan saw Morgan.",
               written=[(0, 6, 0, 6), (11, 17, 11, 18)])  # both replaced; one surrogate happens to be "Morgan"
    assert caught.leaks == 0
