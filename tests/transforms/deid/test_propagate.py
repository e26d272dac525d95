"""Name passes over finished spans: initials written before a name, the unknown word beside it."""

import pytest

from transforms.deid.propagate import propagate_names, with_initials, with_name_parts, without_run_on
from transforms.deid.spans import merge_spans
from transforms.records import PhiSpan


def _grown(text: str, word: str) -> list[str]:
    start = text.index(word)
    spans = merge_spans(with_initials(text, [PhiSpan(start, start + len(word), "PERSON", 0.9)]))
    return [text[s.start : s.end] for s in spans]


def test_when_an_initial_precedes_a_name_then_it_is_part_of_the_name():
    assert _grown("NOT GIVEN PER K. ABRAMS PA.", "ABRAMS") == ["K. ABRAMS"]
    assert _grown("SEEN BY W MAROTTA TODAY", "MAROTTA") == ["W MAROTTA"]
    assert _grown("-> J.R. Chang PA into evaluate", "Chang") == ["J.R. Chang"]


def test_when_a_word_or_a_bare_a_precedes_a_name_then_the_name_stays_as_it_was():
    assert _grown("talked with A Smith", "Smith") == ["Smith"]
    assert _grown("dr vasquez spoke", "vasquez") == ["vasquez"]
    assert _grown("BP 120/80. Smith aware", "Smith") == ["Smith"]


def test_when_a_found_identifier_or_place_recurs_then_every_copy_is_masked():
    from transforms.deid.propagate import propagate_values

    text = "Coronado CA 92118. I'm in Coronado. My zip code is 92118; ref 921180 and coronado beach"
    spans = [PhiSpan(0, 8, "LOCATION", 0.85), PhiSpan(12, 17, "ZIP", 0.9)]
    found = sorted((s.start, s.end, s.entity_type) for s in propagate_values(text, spans))
    starts = [text.index("Coronado"), text.index("92118"), text.index("Coronado."[:8], 20), text.rindex("92118;")]
    assert found == sorted((s, s + (8 if t == "LOCATION" else 5), t) for s, t in zip(
        starts, ("LOCATION", "ZIP", "LOCATION", "ZIP"), strict=True))  # not "921180", not lower-case "coronado"


# what the word lists know in these notes (the engine passes Vocabulary.known_words)
_KNOWN = frozenset({"remains", "on", "bipap", "plan", "per", "called", "points", "out", "amount", "small", "a", "raise",
                    "did", "golden", "tan", "family", "meeting", "with", "husband", "aware", "mtg", "spoke", "brown"})


def _parts(text: str, word: str) -> list[str]:
    start = text.index(word)
    spans = merge_spans(with_name_parts(text, [PhiSpan(start, start + len(word), "PERSON", 0.9)], _KNOWN))
    return [text[s.start : s.end] for s in spans]


@pytest.mark.parametrize(
    ("text", "found", "name"),
    [
        ("0400: WENDA KORVALIS REMAINS ON BIPAP", "WENDA", "WENDA KORVALIS"),  # the surname after
        ("PLAN PER TOMEK VRABELJ.", "VRABELJ", "TOMEK VRABELJ"),  # the first name before
        ("0400: OSKA DE MARNEO REMAINS ON BIPAP", "OSKA", "OSKA DE MARNEO"),  # a particle between
        ("Seen with Yurina dos Vrabelj today", "Yurina", "Yurina dos Vrabelj"),  # words.yaml's surname_particles
        ("as commenter Orla Venjik points out", "Orla", "Orla Venjik"),  # Title case
    ],
)
def test_when_a_kept_name_has_an_unknown_word_beside_it_in_the_same_case_then_the_word_is_part_of_the_name(
        text, found, name):  # fmt: skip
    assert name in _parts(text, found)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("WENDA Korvalis REMAINS ON BIPAP", "WENDA"),  # another case
        ("PER WENDA AMOUNT SMALL", "WENDA"),  # a word a list knows
        ("SPOKE WITH WENDA MTG", "WENDA"),  # no vowel: an abbreviation
        ("AWARE. WENDA\nKORVALIS", "WENDA"),  # another line
        ("dr wenda korvalis aware", "wenda"),  # lower case: no case to match
    ],
)
def test_when_the_word_beside_a_name_is_known_or_written_otherwise_then_the_name_stays_as_it_was(text, found):
    assert _parts(text, found) == [found]


def test_when_a_surname_is_also_an_eponym_then_its_copies_are_masked_but_not_the_eponym():
    text = "Seen by Dr. Weber. Early Weber aware; Weber test normal, Weber's sign neg, weber units; Swan-Weber; Weber pump"
    spans = [PhiSpan(12, 17, "PERSON", 0.9)]
    copies = [text[s.start : s.end] + "@" + str(s.start) for s in propagate_names(text, spans, frozenset({"weber"}))]
    assert copies == ["Weber@12", "Weber@25"]  # the heads are words.yaml's eponym_next ("pump" too)


@pytest.mark.parametrize(
    ("text", "span", "name"),
    [
        ("My name is Orla Please call me", "Orla Please", "Orla"),
        ("My name is Orla Venjik United States was fun", "Orla Venjik United States", "Orla Venjik"),
        ("Ask Orla, The results are in", "Orla, The", "Orla"),
        ("Seen by Orla Jordan today", "Orla Jordan", "Orla Jordan"),  # one-word country: may be a surname
        ("Seen by Pa Her today", "Pa Her", "Pa Her"),  # a Hmong surname
        ("The Orla Venjik fund", "The Orla Venjik", "The Orla Venjik"),  # only after the first word
        ("Seen at Orla United States Clinic", "Orla United States Clinic", "Orla United States Clinic"),  # inside
    ],
)
def test_when_a_name_runs_on_into_the_next_sentence_then_it_ends_before_it(text, span, name):
    start = text.index(span)
    [out] = without_run_on(text, [PhiSpan(start, start + len(span), "PERSON", 0.9)], frozenset({"united states", "jordan"}))
    assert text[out.start : out.end] == name


def test_when_a_place_runs_on_into_a_country_then_it_ends_before_it():
    text = "I moved from Orla United States was fun"
    [out] = without_run_on(text, [PhiSpan(13, 24, "LOCATION", 0.9)], frozenset({"united states"}))  # "Orla United"
    assert text[out.start : out.end] == "Orla"


def test_when_an_organisation_is_a_name_and_the_next_sentence_then_it_ends_with_the_name():
    text = "My name is Orla Please call. Bank of The West"
    spans = [PhiSpan(11, 22, "ORGANIZATION", 0.9), PhiSpan(11, 15, "PERSON", 0.9), PhiSpan(29, 45, "ORGANIZATION", 0.9)]
    out = without_run_on(text, spans, frozenset())
    assert [text[s.start : s.end] for s in out] == ["Orla", "Orla", "Bank of The West"]  # no name: left whole


def test_when_a_name_span_is_only_a_pronoun_then_it_is_dropped():
    text = "ms. Orla You can tell"
    spans = [PhiSpan(4, 8, "PERSON", 0.9), PhiSpan(9, 12, "PERSON", 0.9)]
    assert [text[s.start : s.end] for s in without_run_on(text, spans, frozenset())] == ["Orla"]
