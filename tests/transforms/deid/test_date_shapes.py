"""Dates are found by the date_* patterns of recognizers.yaml and rewritten by the shapes of
transforms/deid/dates.py: the two must describe the same dates, or a found date would lose its
shape (redacted instead of shifted)."""

import regex

from transforms.deid import dates, replace
from transforms.deid.recognizers import load_pattern_specs

EXAMPLES = """Admitted 2024-03-14 and 2024-03-14T08:30:00Z; seen Mon, 3/14/2024, 03/14/24, 3.14.2024 and 3-14-24.
Follow-up on 3/21. Surgery 14-Mar-2024, 07MAY2024, 14 March 2024, 3rd Jan '92, 20240314.
Discharged March 14th, 2024; Mar 14; Tuesday March 5 2024; SEPT 3, 2023; the 3rd of January, 2024;
the 21st day of June; March 2024; Feb. of 2023; jan 5th; wed 3/4/2023; S/P UTI 6/85; MI '92, CVA 74'.
PMH: CABG 81. 09 PTCA to LCX. LBM 11/4; home in sept. and back."""
# date patterns whose dates another pattern's shape rewrites
SAME_SHAPE = {"date_last_bm": "date_md"}
# date patterns whose dates no shape rewrites: a bare number or a month's name alone becomes "[DATE]"
# (`replace.shifted`), so that a dose or a verb taken for a date is never silently changed
NOT_SHIFTED = {"date_year_event", "date_year_before_event", "date_month_alone"}


def _date_specs():
    return [s for s in load_pattern_specs() if s.entity == "DATE"]


def test_every_date_pattern_has_a_rewriting_shape_and_no_shape_is_orphaned():
    shapes = {f"date_{kind}" for _, kind in dates._SHAPES}
    assert {s.name for s in _date_specs()} - NOT_SHIFTED - SAME_SHAPE.keys() == shapes
    assert set(SAME_SHAPE.values()) <= shapes


def test_when_a_date_pattern_finds_a_date_then_the_dates_module_shifts_it_keeping_its_shape():
    found = []
    for spec in _date_specs():
        flags = regex.IGNORECASE if "ignorecase" in spec.flags else 0
        for m in regex.finditer(spec.regex, EXAMPLES, flags=flags):
            found.append((spec.name, m.group(spec.group)))
    assert len({n for n, _ in found}) == len(_date_specs())  # the examples exercise every pattern
    not_shifted = [(n, text) for n, text in found if dates.shift_date_text(text, 30) is None]
    assert sorted(not_shifted) == [("date_month_alone", "sept."), ("date_year_before_event", "09"), ("date_year_event", "81")]
    assert {replace.shifted(text, 200) for _, text in not_shifted} == {"[DATE]"}


def test_when_a_date_is_glued_to_a_word_or_follows_a_word_ending_in_rates_then_it_is_found():
    found = {}
    for spec in _date_specs():
        flags = regex.IGNORECASE if "ignorecase" in spec.flags else 0
        deny = regex.compile(spec.deny_context) if spec.deny_context else None
        for text in ("am labs on10/14/82 to hct", "bilat infiltrates 8/3.", "pain 3/10", "VENT 600X12/5/65%", "PEEP 5/40"):
            for m in regex.finditer(spec.regex, text, flags=flags):
                if deny is None or not deny.search(text[max(0, m.start() - 24) : m.start()]):
                    found[text] = m.group(spec.group)
    assert found == {"am labs on10/14/82 to hct": "10/14/82", "bilat infiltrates 8/3.": "8/3"}


def test_when_a_month_and_two_digit_year_is_shifted_then_it_keeps_its_shape():
    assert dates.shift_date_text("8/84", 30) == "9/84" and dates.shift_date_text("12/99", 30) == "1/00"


def test_when_a_year_written_with_an_apostrophe_is_shifted_then_it_moves_as_its_middle_day_does():
    assert dates.shift_date_text("'92", 30) == "'92" and dates.shift_date_text("'92", 200) == "'93"
    assert dates.shift_date_text("74'", -200) == "73'" and dates.shift_date_text("92", 200) is None  # a bare number is no year
