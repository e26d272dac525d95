"""The tagger's span classifier without a model file: its features, word counts that leave a
group out, the file round trip, what it always keeps, and that training learns."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from transforms.deid.spanclf import (
    MISSPELT_FLOOR,
    PROPER_FLOOR,
    WORDLIKE_FLOOR,
    Candidate,
    SpanClassifier,
    WordStats,
    caps_subjects,
    cut_dropped,
    cut_plain_tail,
    features,
    fit,
    is_phi,
)
from transforms.records import PhiSpan


@dataclass
class _Words:
    """What keep() asks of the word lists (Vocabulary in the engine): none known by default."""

    any_names: frozenset[str] = frozenset()
    unknown: Callable[[str], bool] = lambda w: False  # noqa: E731
    spelling: Callable[[str], bool | None] = lambda w: None  # noqa: E731
    wordlike: Callable[[str], bool | None] = lambda w: None  # noqa: E731


def _floors(threshold: float, bias: float, proper: float = PROPER_FLOOR, misspelt: float = MISSPELT_FLOOR,
            wordlike: float = WORDLIKE_FLOOR) -> SpanClassifier:  # fmt: skip
    return SpanClassifier({"bias": bias}, WordStats(), threshold, proper_floor=proper, misspelt_floor=misspelt,
                          wordlike_floor=wordlike)  # fmt: skip

NOTES = [("p1", "neo gtt at 0.5. healey aware", [(16, 22)]), ("p2", "neo weaned off", []),
         ("p3", "neo and levo", []), ("p3", "neo again", [])]  # fmt: skip


def _cand(start: int, end: int, typ: str = "PERSON", p_out: float = 0.4) -> Candidate:
    return Candidate(PhiSpan(start, end, typ, 0.6), [p_out], ["B-NAME"], [(typ, 0.6)], ["capsnote", "w=x"], "on", "and")


def test_when_words_are_counted_then_a_group_counts_once_and_can_be_left_out():
    stats = WordStats.build(NOTES)
    assert stats.counts("neo") == (3, 0) and stats.counts("healey") == (1, 1)
    assert stats.counts("neo", exclude_group="p3") == (2, 0) and stats.counts("healey", exclude_group="p1") == (0, 0)
    assert stats.shipped() == {"neo": [3, 0]}  # words of one group only are not shipped


def test_when_a_candidate_is_described_then_the_features_say_how_it_arose_and_how_common_its_words_are():
    text = "ON NEO AND LEVO, neo later"
    f = features(text, _cand(3, 6), WordStats.build(NOTES))
    assert f["rule=PERSON0.60"] == 1.0 and f["crf=NAME"] == 1.0 and f["case=upper"] == 1.0
    assert f["w=neo"] == 1.0 and f["dfmin=1"] == 1.0 and f["also_lower_in_note"] == 1.0
    assert f["p1=on"] == f["n1=and"] == f["f0:capsnote"] == 1.0 and "f0:w=x" not in f
    assert f["lpmin"] == pytest.approx(0.405, abs=0.01)


def test_when_a_candidate_is_described_then_the_three_nearest_words_either_side_are_read():
    text = "Earlier today I spoke with the nurse Vrabelj about the plan for tomorrow"
    start = text.index("Vrabelj")
    f = features(text, _cand(start, start + 7), WordStats.build(NOTES))
    assert {k for k in f if k.startswith(("cl=", "cr="))} == {"cl=with", "cl=the", "cl=nurse", "cr=about", "cr=the",
                                                              "cr=plan"}  # fmt: skip
    # within 60 characters only, and in lower case: a word far away or across a long gap is not read
    far = "STAT" + " " * 70 + "Vrabelj RN"
    g = features(far, _cand(74, 81), WordStats.build(NOTES))
    assert {k for k in g if k.startswith(("cl=", "cr="))} == {"cr=rn"}


def test_when_the_model_is_written_and_read_then_it_scores_the_same():
    stats = WordStats.build(NOTES)
    clf = SpanClassifier({"bias": -1.0, "w=neo": -3.0, "crf=NAME": 2.5}, stats, 0.3, {"rows": 4})
    back = SpanClassifier.from_json(clf.to_json())
    text = "ON NEO AND LEVO"
    assert back.probability(text, _cand(3, 6)) == pytest.approx(clf.probability(text, _cand(3, 6)))
    assert back.threshold == 0.3 and SpanClassifier.from_json(clf.to_json(), threshold=0.6).threshold == 0.6
    with pytest.raises(ValueError):
        SpanClassifier.from_json('{"format": "other"}')


def test_when_candidates_are_decided_then_other_types_always_stay():
    clf = SpanClassifier({"bias": -10.0}, WordStats(), 0.5)
    text = "call 555-1212 re neo"
    kept = clf.keep(text, [_cand(5, 13, "PHONE"), _cand(17, 20)])
    assert kept == [PhiSpan(5, 13, "PHONE", 0.6)]


def test_when_trained_then_it_separates_what_it_was_shown_and_the_same_seed_gives_the_same_weights():
    rows = [{"bias": 1.0, "w=neo": 1.0}] * 20 + [{"bias": 1.0, "w=healey": 1.0}] * 20
    labels = [0] * 20 + [1] * 20
    w = fit(rows, labels, epochs=10)
    assert w["w=healey"] > 1.0 > -1.0 > w["w=neo"]
    assert fit(rows, labels, epochs=10) == w
    one, other = fit(rows, labels, epochs=2, seeds=(13,)), fit(rows, labels, epochs=2, seeds=(14,))
    assert one != other  # one order's weights depend on it; the shipped fit averages several
    both = fit(rows, labels, epochs=2, seeds=(13, 14))
    assert both == pytest.approx({k: (one[k] + other[k]) / 2 for k in one})


def test_when_a_span_is_labelled_then_half_its_letters_must_be_gold():
    text = "dr healey smith"
    assert is_phi(text, PhiSpan(3, 9, "PERSON"), [(3, 9)]) == 1
    assert is_phi(text, PhiSpan(0, 9, "PERSON"), [(3, 9)]) == 1  # 6 of 8
    assert is_phi(text, PhiSpan(0, 15, "PERSON"), [(3, 5)]) == 0


@pytest.mark.parametrize(
    ("text", "span", "gold", "label"),
    [
        ("sent to CALVERT HOSPITAL today", (8, 24), [(8, 15)], 1),  # PhysioNet's gold: the name without its kind
        ("sent to Union Hospital today", (8, 22), [(8, 22)], 1),  # synthetic gold: the whole name
        ("sent to the Hospital today", (12, 20), [], 0),  # a kind word alone names no facility
        ("seen at CALVERT HOSPITAL CAMPUS", (8, 31), [(8, 15)], 1),
        ("ARNOLD PALMER REGIONAL HOSPITAL", (0, 31), [(0, 6)], 0),  # other words outside gold still count
    ],
)
def test_when_a_facility_candidate_is_labelled_then_its_kind_word_outside_gold_does_not_count(text, span, gold, label):
    assert is_phi(text, PhiSpan(*span, "ORGANIZATION"), gold) == label


def test_when_a_month_day_shape_shares_its_month_with_other_dates_in_the_note_then_a_feature_says_so():
    text = "abx 8/2 - 8/10, done 8/14. strength 5/5"
    stats = WordStats()
    dated = features(text, _cand(10, 14, "DATE"), stats)
    alone = features(text, _cand(36, 39, "DATE"), stats)
    assert dated["month_same=2"] == 1.0 and dated["month_top"] == 1.0  # two other "8/" dates
    assert alone["month_same=0"] == 1.0 and "month_top" not in alone


def test_when_a_word_is_described_then_how_common_it_is_in_english_is_a_feature():
    text = "Comfort measures; Suzette called"
    common, name = features(text, _cand(0, 7), WordStats()), features(text, _cand(18, 25), WordStats())
    assert common["type=PERSON&wfmax=5"] == 1.0 and name["type=PERSON&wfmax=2"] == 1.0  # counts 31,903 and 50


def test_when_a_kept_name_has_a_dropped_tail_then_the_tail_and_filler_words_at_the_cut_go():
    text = "DR ORMSBY WOULD BE IN. SPOKE WITH NURSE PELL FROM NSICU TEAM"
    whole, piece, tail = PhiSpan(3, 18, "PERSON", 0.85), PhiSpan(3, 9, "PERSON", 0.85), PhiSpan(10, 18, "PERSON", 0.85)
    assert [(s.start, s.end) for s in cut_dropped(text, [whole, piece], [tail])] == [(3, 9), (3, 9)]
    # "PELL FROM NSICU" less the dropped "NSICU TEAM" overlapping its end: "FROM" is filler left at the cut
    pell = text.index("PELL")
    whole2, piece2 = PhiSpan(pell, pell + 15, "PERSON", 0.85), PhiSpan(pell, pell + 4, "PERSON", 0.85)
    team = PhiSpan(pell + 10, len(text), "LOCATION", 0.85)
    assert text[slice(*_span(cut_dropped(text, [whole2, piece2], [team])[0]))] == "PELL"


def _tail(text: str, piece: str, names: frozenset[str] = frozenset(), typ: str = "PERSON") -> str:
    start = text.index(piece)
    return text[slice(*_span(cut_plain_tail(text, PhiSpan(start, start + len(piece), typ, 0.85), names)))]


def test_when_a_kept_name_ends_in_plain_words_then_they_are_cut_after_the_name():
    text = "CALLED KORVALIS MADE AWARE OF LABS. DR VRABELJ WOULD BE IN. seen by Venjik-thinking of plan"
    assert _tail(text, "KORVALIS MADE AWARE OF LABS") == "KORVALIS"
    assert _tail(text, "VRABELJ WOULD BE") == "VRABELJ"
    assert _tail(text, "Venjik-thinking") == "Venjik"


def test_when_the_tail_may_be_part_of_the_name_then_the_span_stays_whole():
    text = "Seen by Jim Black and Stephen King at Brindlecombe Medical Center. COMFORT MADE AWARE"
    names = frozenset(("jim", "black", "stephen", "king"))
    assert _tail(text, "Jim Black", names) == "Jim Black"  # a name-list word is never plain
    assert _tail(text, "Stephen King", names) == "Stephen King"
    assert _tail(text, "Brindlecombe Medical Center") == "Brindlecombe Medical Center"  # capitalised, mixed case
    assert _tail(text, "COMFORT MADE AWARE") == "COMFORT MADE AWARE"  # no name left before the tail: fail closed
    assert _tail(text, "Jim Black and", names, "LOCATION") == "Jim Black and"  # names only


def test_when_no_kept_piece_is_left_or_the_dropped_piece_is_inside_then_the_kept_span_stays_whole():
    text = "DR ORMSBY WOULD BE IN"
    whole, tail = PhiSpan(3, 18, "PERSON", 0.85), PhiSpan(10, 18, "PERSON", 0.85)
    assert cut_dropped(text, [whole], [tail]) == [whole]  # nothing kept inside: fail closed
    middle = PhiSpan(10, 15, "PERSON", 0.85)
    assert cut_dropped(text, [whole, PhiSpan(3, 9, "PERSON", 0.85)], [middle])[0] == whole
    date = PhiSpan(3, 18, "DATE", 0.6)  # dates and identifiers are never cut
    assert cut_dropped(text, [date, PhiSpan(3, 9, "DATE", 0.6)], [PhiSpan(10, 18, "DATE", 0.6)])[0] == date


def _span(s: PhiSpan) -> tuple[int, int]:
    return s.start, s.end


def test_when_a_dropped_tail_holds_a_surname_or_an_initial_then_the_kept_name_is_not_cut():
    text = "SON ROGER BLACK AT BEDSIDE. NAME: JESPERSEN, MORGAN A."
    roger, black = text.index("ROGER"), text.index("BLACK")
    clf = SpanClassifier({"bias": 5.0, "n1=at": -20.0, "n1=<edge>": -20.0}, WordStats(), 0.5)
    whole = Candidate(PhiSpan(roger, black + 5, "PERSON", 0.6), [0.1, 0.1], ["B-NAME", "I-NAME"], [("PERSON", 0.6)], [], "son", "and")
    first = Candidate(PhiSpan(roger, roger + 5, "PERSON", 0.85), [0.1], ["B-NAME"], [], [], "son", "black")
    tail = Candidate(PhiSpan(black, black + 5, "PERSON", 0.85), [0.6], ["B-NAME"], [], [], "roger", "at")
    kept = clf.keep(text, [whole, first, tail], _Words(any_names=frozenset({"roger", "black"})))
    assert (roger, black + 5) in [(s.start, s.end) for s in kept]  # "BLACK" is a surname: never cut off
    kept = clf.keep(text, [whole, first, tail], _Words(any_names=frozenset({"roger"})))
    assert (roger, black + 5) not in [(s.start, s.end) for s in kept]  # an everyday word: cut
    a = text.index(" A.") + 1
    name = Candidate(PhiSpan(text.index("MORGAN"), a + 1, "PERSON", 0.6), [0.1, 0.1], ["B-NAME", "I-NAME"], [], [], ",", "x")
    morgan = Candidate(PhiSpan(text.index("MORGAN"), text.index("MORGAN") + 6, "PERSON", 0.6), [0.1], ["B-NAME"], [], [], ",", "a")
    initial = Candidate(PhiSpan(a, a + 1, "PERSON", 0.6), [0.6], ["B-NAME"], [], [], "morgan", "<edge>")
    assert name.span in clf.keep(text, [name, morgan, initial])  # an initial is never an everyday word


def test_when_a_strong_date_pattern_found_the_date_then_the_classifier_cannot_drop_it():
    text = "XR KNEE 16DEC2019, 5/5 STRENGTH"
    clf = SpanClassifier({"bias": -30.0}, WordStats(), 0.5)  # drops whatever it decides
    written = Candidate(PhiSpan(8, 17, "DATE", 0.95), [0.9], ["O"], [("DATE", 0.95)], [], "knee", ",")
    ratio = Candidate(PhiSpan(19, 22, "DATE", 0.6), [0.9], ["O"], [("DATE", 0.6)], [], ",", "strength")
    assert clf.keep(text, [written, ratio]) == [written.span]


@pytest.mark.parametrize(
    ("text", "word", "kept"),
    [
        ("Wife called. States Yurina has had fevers since Monday.", "Yurina", True),  # unknown, inside a sentence
        ("Wife called.\nYurina has had fevers since Monday.", "Yurina", False),  # at the start of a line
        ("Wife called. States Pain has had fevers since Monday.", "Pain", False),  # a word a list knows
        ("WIFE CALLED. STATES Yurina HAS HAD FEVERS SINCE MONDAY.", "Yurina", False),  # an all-caps note
    ],
)
def test_when_an_unknown_title_case_word_inside_a_sentence_is_unsure_then_it_is_kept_from_the_floor_up(text, word, kept):
    start = text.index(word)
    cand = Candidate(PhiSpan(start, start + len(word), "PERSON", 0.6), [0.99], ["O"], [], [], "states", "has")
    known = frozenset({"wife", "called", "states", "pain", "has", "had", "fevers", "since", "monday"})
    words = _Words(unknown=lambda w: w.lower() not in known)
    # P(PHI) 0.005: below the threshold, at the floor
    assert (cand.span in _floors(0.03, -5.3, proper=0.004).keep(text, [cand], words)) is kept
    assert cand.span not in _floors(0.03, -5.3, proper=0.01).keep(text, [cand], words)  # below the floor: dropped
    assert cand.span not in _floors(0.03, -5.3, proper=0.004).keep(text, [cand])  # without the word lists: the threshold alone


def test_when_an_unsure_candidate_takes_in_a_known_word_then_only_its_unknown_proper_noun_is_kept():
    text = "Wife called. States Yurina has had fevers since Monday."
    start = text.index("States")
    cand = Candidate(PhiSpan(start, start + len("States Yurina"), "PERSON", 0.6), [0.99], ["O"], [], [], ".", "has")
    known = frozenset({"wife", "called", "states", "has", "had", "fevers", "since", "monday"})
    # P(PHI) 0.005: below the threshold, at the floor
    kept = _floors(0.03, -5.3, proper=0.004).keep(text, [cand], _Words(unknown=lambda w: w.lower() not in known))
    assert [text[s.start : s.end] for s in kept] == ["Yurina"]  # not the verb at the clause's start


@pytest.mark.parametrize(
    ("text", "word", "bias", "kept"),
    [
        ("Pt recieved Amniodarone at noon.", "Amniodarone", -2.2, False),  # P 0.10: misspelt, below the floor
        ("Pt recieved Amniodarone at noon.", "recieved Amniodarone", -2.2, False),  # misspelt and known words
        ("Pt recieved Amniodarone at noon.", "Amniodarone", 0.4, True),  # P 0.60: at the floor or above
        ("Seen by Yurina at noon.", "Yurina", -2.2, True),  # a word that is neither: the threshold decides
        ("Pt recieved Yurina at noon.", "recieved Yurina", -2.2, True),
        ("PT GOOD AT NOON.", "GOOD", -2.2, True),  # everyday words alone: the threshold decides
        ("Pt seen at Heartland at noon.", "Heartland", -2.2, True),
        ("Pt seen at Amniodarone at noon.", "Amniodarone", -2.2, False),  # a place with a misspelling
    ],
)
def test_when_a_candidate_is_only_misspelt_and_known_words_then_it_needs_the_misspelt_floor(text, word, bias, kept):
    start = text.index(word)
    typ = "LOCATION" if "seen at" in text else "PERSON"
    cand = Candidate(PhiSpan(start, start + len(word), typ, 0.6), [0.9], ["O"], [], [], "pt", "at")
    spelling = {"recieved": True, "amniodarone": True, "pt": False, "at": False, "noon": False, "good": False,
                "heartland": False}.get  # fmt: skip
    words = _Words(spelling=lambda w: spelling(w.lower()))
    assert (cand.span in _floors(0.03, bias, misspelt=0.5).keep(text, [cand], words)) is kept
    assert cand.span in _floors(0.03, bias, misspelt=0.0).keep(text, [cand], words)  # 0: off
    assert cand.span in _floors(0.03, bias).keep(text, [cand])  # without the word lists: the threshold alone


@pytest.mark.parametrize(("bias", "kept"), [(0.4, False), (2.5, True)])  # P 0.60, P 0.92
def test_when_the_misspelt_floor_is_not_set_then_a_misspelt_candidate_needs_p_0_9(bias, kept):
    text = "Pt recieved Amniodarone at noon."
    start = text.index("Amniodarone")
    cand = Candidate(PhiSpan(start, start + len("Amniodarone"), "PERSON", 0.6), [0.9], ["O"], [], [], "recieved", "at")
    words = _Words(spelling=lambda w: w.lower() == "amniodarone" or None)
    assert (cand.span in SpanClassifier({"bias": bias}, WordStats(), 0.03).keep(text, [cand], words)) is kept


@pytest.mark.parametrize(
    ("word", "bias", "kept"),
    [
        ("Mgsulfate", 1.4, False),  # P 0.80: word-like, below the floor
        ("Mgsulfate", 2.3, True),  # P 0.91: at the floor or above
        ("Mgsulfate Sulfate", 1.4, False),  # word-like and a listed non-name
        ("Mgsulfate Nomvula", 1.4, True),  # beside a word that may be a name: the threshold decides
        ("Sulfate", 1.4, True),  # listed non-names alone: the threshold decides
    ],
)
def test_when_a_candidate_is_only_word_like_and_listed_words_then_it_needs_the_word_like_floor(word, bias, kept):
    text = f"Pt given {word} at noon."
    start = text.index(word)
    cand = Candidate(PhiSpan(start, start + len(word), "PERSON", 0.6), [0.9], ["O"], [], [], "given", "at")
    shape = {"mgsulfate": True, "sulfate": False}.get
    words = _Words(wordlike=lambda w: shape(w.lower()))
    assert (cand.span in _floors(0.03, bias).keep(text, [cand], words)) is kept
    assert cand.span in _floors(0.03, bias, wordlike=0.0).keep(text, [cand], words)  # 0: off
    assert cand.span in _floors(0.03, bias).keep(text, [cand])  # without the word lists: the threshold alone


def test_when_a_misspelt_word_is_unsure_then_the_unknown_proper_noun_floor_does_not_keep_it():
    text = "Wife called. States Amniodarone was given."
    start = text.index("Amniodarone")
    cand = Candidate(PhiSpan(start, start + len("Amniodarone"), "PERSON", 0.6), [0.99], ["O"], [], [], "states", "was")
    clf = _floors(0.03, -5.3, proper=0.004)  # P(PHI) 0.005: below the threshold, at the floor

    def unknown(w: str) -> bool:
        return w.lower() == "amniodarone"

    assert cand.span in clf.keep(text, [cand], _Words(unknown=unknown))
    misspelt = {"amniodarone": True}.get
    assert clf.keep(text, [cand], _Words(unknown=unknown, spelling=lambda w: misspelt(w.lower()))) == []


@pytest.mark.parametrize(
    ("text", "word", "kept"),
    [
        ("PT ALERT, COOPERATIVE. MARRIED. A: CHF", "MARRIED", False),  # a word the CRF ran a date label over
        ("Keep family updated of pts condition", "condition", False),
        ("Seen on March 3, back in March", "March", True),  # a month
        ("Discharged Tues, home for Christmas", "Christmas", True),  # a holiday
        ("Seen 3/10, back in a week", "3/10", True),  # digits: the classifier decides
        ("Resp: on bi-pap 10/5 with ABG 7.35", "10/5", False),  # ventilator pressures
        ("Fio2 40% with flowby 6/3. Spont vols", "6/3", False),
        ("c/o 3/10 l back pain in am", "3/10", False),  # a pain score
        ("Pt c/o CP, 5/10, ECG done", "5/10", False),
        ("Pt is an 83 yo widowed woman", "83", False),  # an age
        ("Admitted 3/10 for pain control", "3/10", True),  # a date before "for pain"
        ("Off vent 3/4, extubated", "3/4", True),  # "vent" alone is no pressure setting
    ],
)
def test_when_a_date_candidate_is_no_calendar_word_pressure_score_or_age_then_it_is_dropped(text, word, kept):
    start = text.index(word)
    cand = Candidate(PhiSpan(start, start + len(word), "DATE", 0.5), [0.9], ["B-DATE"], [], [], "x", "x")
    clf = SpanClassifier({"bias": 5.0}, WordStats(), 0.03)  # P(PHI) 0.99: keeps whatever it decides
    assert (cand.span in clf.keep(text, [cand])) is kept


@pytest.mark.parametrize(
    ("text", "word", "kept"),
    [
        ("R femoral Quinton catheter in place.", "Quinton", False),  # a device named after a firm
        ("TEMP 94. BEAR HUGGER REMAINS ON.", "BEAR", False),
        ("IVC greenfield-filter placed", "greenfield", False),
        ("Tanner stage 3 on exam", "Tanner", False),  # an eponym's head word
        ("Seen by Quinton today, catheter fine.", "Quinton", True),  # another word follows
        ("Daughter Certusi cell 555-0142", "Certusi", True),  # a cell phone, not a cell
    ],
)
def test_when_a_one_word_name_names_a_device_or_eponym_then_it_is_dropped(text, word, kept):
    start = text.index(word)
    cand = Candidate(PhiSpan(start, start + len(word), "PERSON", 0.6), [0.9], ["B-NAME"], [], [], "x", "x")
    clf = SpanClassifier({"bias": 7.0}, WordStats(), 0.03)  # P(PHI) 0.999: keeps whatever it decides
    assert (cand.span in clf.keep(text, [cand])) is kept


_KNOWN = frozenset({"pt", "neuro", "son", "film", "bear", "hugger", "alert", "family", "wenda"})


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("MICU NSG 0400: ORLA VENJIK REMAINS ON BIPAP 14/8. PT IS ALERT.", ["ORLA VENJIK"]),
        ("NEURO: TOMEK DE VRABELJ DENIES PAIN.\nYURINA KORVALIS CALLED, SON UPDATED.", ["TOMEK DE VRABELJ", "YURINA KORVALIS"]),
        ("PLAN: OSKA VRABELJ-MARNEO IS TO GO HOME.", ["OSKA VRABELJ-MARNEO"]),
        ("PT REMAINS ON BIPAP. FAMILY IS AWARE. BEAR HUGGER IS ON.", []),  # a word a list knows
        ("0400: WENDA KORVALIS REMAINS ON BIPAP.", []),  # one word known: not this rule's to say
        ("CXR: VENJIK KORVALIS CLEAR.", []),  # no subject verb after it
        ("0400: DE VENJIK REMAINS ON BIPAP.", []),  # a particle first
        ("VITALS STABLE. ORLA VENJIK REMAINS ON BIPAP. Pt is alert and Calm, Family Aware, Son Here.", []),  # not an all-caps note
        ("MICU NSG 0400: ZX VENJIK REMAINS ON BIPAP. PT IS ALERT.", []),  # a word of two letters
    ],
)
def test_when_an_all_caps_clause_starts_with_unknown_words_before_a_subject_verb_then_they_are_a_name(text, names):
    assert [text[s.start : s.end] for s in caps_subjects(text, lambda w: w.lower() in _KNOWN)] == names
