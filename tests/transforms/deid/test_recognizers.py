"""Street addresses stay on one line and never end in lower-case shorthand; the Hyperscan gate only
skips patterns that cannot match."""

import pytest
import regex

from transforms.deid.recognizers import ClinicalPatternRecognizer, load_pattern_specs


@pytest.fixture(scope="module")
def street():
    spec = next(p for p in load_pattern_specs() if p.name == "street_address")
    return regex.compile(spec.regex, regex.IGNORECASE)


@pytest.mark.parametrize("text, found", [
    ("lives at 123 Main St. in Boston", "123 Main St."), ("123 MAIN ST", "123 MAIN ST"),
    ("4 N. Elm Street", "4 N. Elm Street"), ("12 St. Paul Ave", "12 St. Paul Ave"), ("99 oak road", "99 oak road"),
    ("45 degrees. neuro vs q1h. ct", None), ("25 stable ct", None), ("500 ml hespan. ct", None),
    ("1L PLEURAL AND 2 MEDIASTINAL CT DIVIDED", None), ("PT HAD 3 EPISODES ST IN 130'S", None),  # chest tubes, sinus tach
    ("lives at 4 Elm Court", "4 Elm Court"), ("lives at 14 Elm Ct", "14 Elm Ct"),  # one digit: a street type written out
    ("7 was \nplace", None), ("5 beat runs vt. dr.", None),
])  # fmt: skip
def test_when_a_street_address_is_looked_for_then_shorthand_is_not_one(street, text, found):
    m = street.search(text)
    assert (m.group(0) if m else None) == found


def _found(recognizer, text):
    return sorted((r.entity_type, r.start, r.end, r.score) for r in recognizer.analyze(text, None))


@pytest.fixture(scope="module")
def gated_and_plain():
    from transforms.deid.recognizers import ClinicalPatternRecognizer

    return ClinicalPatternRecognizer(load_pattern_specs()), ClinicalPatternRecognizer(load_pattern_specs(), gate=False)


def test_when_the_gate_rules_patterns_out_then_every_note_gets_what_running_them_all_gives(gated_and_plain):
    """Over hundreds of gold notes of several styles (and line ends, anchors, case and script in
    odd places), skipping what the gate rules out changes nothing; and it does skip."""
    import json
    from pathlib import Path

    from transforms.deid.recognizers import _ruled_out, fold_text

    gated, plain = gated_and_plain
    data = Path(__file__).resolve().parents[3] / "benchmarks" / "data"
    texts = [fold_text(json.loads(line)["text"]) for split in ("dev", "dev4", "dev8", "heldout6")
             for line in (data / f"deid-{split}.jsonl").read_text().splitlines()[:120]]  # fmt: skip
    texts += ["12 Elm Street\nTroy\n", "Apt 4B\r\nTroy, NY 12180", "Address: 4 Main St", "ORGANIZATION: Troy Lakes",
              "seen by JANE OKAFOR, md", "-- JO\n", "DOB:1/2/1950$", "Ilse Bauer (44 yo)\nRN", "Zoë Müller 44 yo F",
              "Иван Петров, MD", "", "\n", "Troy, NY"]  # fmt: skip
    skipped = 0
    for text in texts:
        assert _found(gated, text) == _found(plain, text)
        skipped += len(_ruled_out(gated._gate, text))
    assert gated._gate is not None and skipped > 20 * len(texts)  # most patterns are ruled out of most notes


def test_when_a_text_is_not_ascii_or_a_pattern_comes_from_a_site_file_then_it_is_never_gated(tmp_path):
    from transforms.deid.recognizers import ClinicalPatternRecognizer, _ruled_out

    site = tmp_path / "site.yaml"
    # `{,2}` means "0 to 2" to `regex`; a PCRE reader would look for the literal text
    site.write_text('patterns:\n  - {name: ward, entity: ORGANIZATION, score: 0.8, flags: [], regex: "Ward ?[0-9]{,2}[A-Z]"}\n')
    specs = load_pattern_specs((str(site),))
    assert [s.name for s in specs if not s.gated] == ["ward"]
    recognizer = ClinicalPatternRecognizer(specs)
    text = "Moved to Ward 4B today."
    assert ("ORGANIZATION", "Ward 4B") in [(r.entity_type, text[r.start : r.end]) for r in recognizer.analyze(text, None)]
    assert _ruled_out(recognizer._gate, "Zoë moved to Ward 4B.") == frozenset()
    assert _ruled_out(recognizer._gate, "Zoe moved to Ward 4B.")  # ASCII: the packaged patterns are gated


def test_when_a_line_scoped_pattern_ends_at_its_line_end_then_the_gate_still_lets_it_run():
    """A `line` pattern runs on its line alone, where `$` matches at the line break: the gate reads
    `$` as any line end, or it would rule such a pattern out of every note that goes on after it."""
    from transforms.deid.recognizers import ClinicalPatternRecognizer, PatternSpec

    spec = PatternSpec(name="ward_line", entity="ORGANIZATION", regex=r"Ward \d+[A-Z]?$", score=0.8, flags=(),
                       requires="Ward", line=True, gated=True)  # fmt: skip
    text = "Moved to Ward 4B\nStable overnight."
    for recognizer in (ClinicalPatternRecognizer([spec]), ClinicalPatternRecognizer([spec], gate=False)):
        assert [text[r.start : r.end] for r in recognizer.analyze(text, None)] == ["Ward 4B"]


def test_when_threads_share_the_recognizer_then_each_scan_has_its_own_scratch(gated_and_plain):
    """Hyperscan refuses two scans at once on one scratch space (ScratchInUseError): a Prefect
    thread pool de-identifying notes side by side must not fail them."""
    from concurrent.futures import ThreadPoolExecutor

    from transforms.deid.recognizers import _ruled_out

    gate = gated_and_plain[0]._gate
    text = "Seen by Jane Okafor, MD on 3/4/2024 at Troy Lakes Clinic. " * 50_000  # scans that overlap
    want = _ruled_out(gate, text)
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda t: _ruled_out(gate, t), [text] * 16)) == [want] * 16


@pytest.mark.parametrize(("text", "name"), [
    ("Pt: Wenda Bašić   DOB 6/25/2018", "Wenda Bašić"),  # a letter with a caron
    ("Patient Name: Zoë Müller-Sørensen\nDOB: 1/2/1950", "Zoë Müller-Sørensen"),
    ("Patient Name: Ólafur Korvalis\nDOB: 1/2/1950", "Ólafur Korvalis"),  # an accented first letter
    ("Patient Name: Orla Venjik\nDOB: 1/2/1950", "Orla Venjik"),
])  # fmt: skip
def test_when_a_name_pattern_meets_accented_letters_then_it_takes_the_whole_name(gated_and_plain, text, name):
    gated, _ = gated_and_plain
    people = [text[r.start : r.end] for r in gated.analyze(text, ["PERSON"]) if r.entity_type == "PERSON"]
    assert name in people


@pytest.mark.parametrize(("text", "names"), [
    ("DAUGHTER MARY AT BEDSIDE", ["MARY"]), ("SON(TOMEK) CALLED", ["TOMEK"]), ("BRO ORLA VENJIK CALLED", ["ORLA VENJIK"]),
    ("NO PRE-OP BRONCHODILATORS NOTED", []),  # "BRO" inside a word is no brother
    ("PT HAS 2 DAUGHTERS THAT VISIT", []), ("LUNGS BRONCHIAL/COARSE", []), ("2 SM BROWN SOFT STOOLS", []),
])  # fmt: skip
def test_when_a_relative_is_named_in_capitals_then_the_relation_is_a_whole_word(text, names):
    spec = next(p for p in load_pattern_specs() if p.name == "upper_relative_name")
    assert [m.group(1) for m in regex.finditer(spec.regex, text)] == names


@pytest.mark.parametrize(("text", "years"), [
    ("PMH: CABG 81, Redo CABG 84, MVR,MI 81,HTN", ["81", "84", "81"]),
    ("PMH: CAD, S/P MI 1992; LCX PTCA", ["1992"]), ("pmh: cabg 81. 09 ptca to lcx", ["81", "09"]), ("HX OF POSSIBLE MI IN 1980S AFTER SURGERY", ["1980S"]),
    ("Recently diagnosed NIDDM. 09 PTCA to LCX and ramus. 13 stent to LCX", ["09", "13"]),
    ("CVA 10 days ago; MI 20 yrs ago; PCI 50% LAD; s/p 2 stents; AICD 30J; cath 12 fr", []),  # spans and amounts
    ("HR 81, BP 92/50, 13 mg given", []),  # no event before or after the number
])  # fmt: skip
def test_when_a_bare_year_dates_an_event_of_the_history_then_it_is_a_date(gated_and_plain, text, years):
    gated, plain = gated_and_plain
    found = [text[r.start : r.end] for r in gated.analyze(text, ["DATE"]) if r.entity_type == "DATE"]
    assert found == years and _found(gated, text) == _found(plain, text)


@pytest.mark.parametrize(("text", "dates"), [
    ("GI-appetite good LBM 11/4. Last BM: 3/2", ["11/4", "3/2"]),
    ("home (living with brother) in sept. and d/c'd; seen since November; back by early June", ["sept.", "November", "June"]),
    ("UO in dec. Given aug. Nov 5 clinic; in March 2024; to march in line", []),  # abbreviations, or dated by a wider pattern
])  # fmt: skip
def test_when_a_month_or_a_last_bowel_movement_is_dated_then_it_is_a_date(gated_and_plain, text, dates):
    gated, plain = gated_and_plain
    names = {"date_last_bm", "date_month_alone"}
    specs = [p for p in load_pattern_specs() if p.name in names]
    assert len(specs) == 2
    found = sorted((r.start, text[r.start : r.end]) for r in ClinicalPatternRecognizer(specs).analyze(text, ["DATE"]))
    assert [t for _, t in found] == dates and _found(gated, text) == _found(plain, text)


@pytest.mark.parametrize(("text", "years"), [
    ("PMH: s/p MI '92, CABG \u201995", ["'92", "\u201995"]),  # before the number: strong
    ("CVA 74'. CHOLECYSTECTOMY 77'.", ["74'", "77'"]),  # after it: weak (feet look the same)
    ("5'10\" tall; rhythm 'AF'", []),
])  # fmt: skip
def test_when_a_two_digit_year_is_written_with_an_apostrophe_then_it_is_a_date(gated_and_plain, text, years):
    gated, plain = gated_and_plain
    found = [text[r.start : r.end] for r in gated.analyze(text, ["DATE"]) if r.entity_type == "DATE"]
    assert found == years and _found(gated, text) == _found(plain, text)
