"""Name passes over finished spans: initials written before a name."""

from transforms.deid.propagate import with_initials
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
