"""The tidy pass: spans cut to what is PHI (no spaCy, no word-list files: milliseconds)."""

import pytest
from presidio_analyzer import RecognizerResult

from tests.transforms.deid.vocab import vocabulary
from transforms.deid.tidy import filter_ner, tidy
from transforms.records import PhiSpan

V = vocabulary()


def _tidy(text: str, part: str, entity: str, ner: bool = False) -> str | None:
    start = text.index(part)
    out = tidy(text, PhiSpan(start, start + len(part), entity, 0.85), ner, V)
    return None if out is None else text[out.start : out.end]


@pytest.mark.parametrize(("text", "part", "ner", "expected"), [
    ("Spoke with Husband Donna today", "Husband Donna", True, "Donna"),
    ("seen by Dr Adeyemi", "Dr Adeyemi", True, "Adeyemi"),
    ("Harold Beckwith's wife called", "Harold Beckwith's", False, "Harold Beckwith"),
    ("ANH BERG VISITED", "ANH BERG VISITED", False, "ANH BERG"),
    ("Harold Beckwith   MRN 123", "Harold Beckwith   MRN", False, "Harold Beckwith"),
    ("CCU RN on shift", "CCU RN", False, None),
    ("Caller verbalized understanding", "Caller", True, None),
    ("pt seen by Dr. Visited today", "Visited", False, "Visited"),
    ("WIFE AND NEICE IN TO VISIT", "NEICE", False, None),  # a relation word (misspelt or plural) is no name
    ("SONS AND DAUGHTERS AT BEDSIDE", "DAUGHTERS", False, None),
    ("the Okafor family called", "Okafor family", False, "Okafor"),
])  # fmt: skip
def test_when_a_person_span_carries_role_words_or_labels_then_only_the_name_is_kept(text, part, ner, expected):
    assert _tidy(text, part, "PERSON", ner) == expected


@pytest.mark.parametrize(("text", "part", "entity", "expected"), [
    ("Receiving: Bayside Hospital", "Receiving: Bayside Hospital", "ORGANIZATION", "Bayside Hospital"),
    ("moved to Terre Haute, IN last year", "Terre Haute, IN", "LOCATION", "Terre Haute"),
    ("SENT HOME TO ESPANOLA today", "HOME TO ESPANOLA", "LOCATION", "ESPANOLA"),
    ("lives in LAKE IN THE HILLS now", "LAKE IN THE HILLS", "LOCATION", "LAKE IN THE HILLS"),
    ("born in the United States", "United States", "LOCATION", None),
    ("moved from Ohio", "Ohio", "LOCATION", None),
])  # fmt: skip
def test_when_a_place_span_carries_labels_states_or_cue_words_then_only_the_place_is_kept(text, part, entity, expected):
    assert _tidy(text, part, entity) == expected


def test_when_a_span_is_not_a_name_or_place_then_tidy_leaves_it_as_it_is():
    span = PhiSpan(4, 14, "DATE", 0.9)
    assert tidy("on 03/14/2024 seen", span, False, V) == span


def test_when_ner_finds_clinical_words_drugs_or_digits_then_they_are_dropped():
    text = "Started Xanax. Foley Catheter placed. Seen 4/6/2022 MRN. Met Harold Beckwith at noon."
    found = [RecognizerResult("PERSON", text.index(w), text.index(w) + len(w), 0.85)
             for w in ("Xanax", "Foley Catheter", "4/6/2022 MRN", "Harold Beckwith")]  # fmt: skip
    kept = filter_ner(text, found, V, score_threshold=0.5)
    assert [text[s.start : s.end] for s in kept] == ["Harold Beckwith"]
    assert filter_ner(text, found, V, score_threshold=0.9) == []  # under the score threshold


def test_when_ner_joins_two_lines_then_each_line_is_judged_alone():
    text = "Kang, Tyrone\nIndication: pain"
    found = [RecognizerResult("PERSON", 0, text.index(":"), 0.85)]
    assert [text[s.start : s.end] for s in filter_ner(text, found, V, 0.5)] == ["Kang, Tyrone"]


def test_when_the_note_is_in_capitals_then_ner_spans_are_never_kept():
    text = "PT SEEN BY HAROLD BECKWITH TODAY. " * 3
    found = [RecognizerResult("PERSON", 11, 26, 0.85)]
    assert filter_ner(text, found, V, 0.5) == []
