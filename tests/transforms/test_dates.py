import datetime as dt

import pytest

from transforms.deid.dates import shift_date_text, shift_iso_date


@pytest.mark.parametrize(
    ("text", "days", "expected"),
    [
        ("2024-03-14", 10, "2024-03-24"),
        ("2024-03-14T08:30:00Z", 1, "2024-03-15T08:30:00Z"),
        ("3/14/2024", -14, "2/29/2024"),
        ("03/14/24", 20, "04/03/24"),
        ("3/14", 1, "3/15"),
        ("14-Mar-2024", 30, "13-Apr-2024"),
        ("07MAY2024", 3, "10MAY2024"),
        ("20240314", 1, "20240315"),
        ("March 14th, 2024", 8, "March 22nd, 2024"),
        ("Mar 14", -14, "Feb 28"),
        ("the 3rd of January", 30, "the 2nd of February"),
        ("March 2024", 31, "April 2024"),
        ("Monday, March 4, 2024", 1, "Tuesday, March 5, 2024"),
        ("MARCH 14, 2024", 1, "MARCH 15, 2024"),
    ],
)
def test_when_a_date_is_shifted_then_its_shape_is_kept(text, days, expected):
    assert shift_date_text(text, days) == expected


def test_when_text_is_not_a_date_then_none():
    assert shift_date_text("13/45/2024", 3) is None
    assert shift_date_text("hello", 3) is None


def test_when_two_dates_shift_by_the_same_offset_then_the_interval_is_preserved():
    a, b = "2024-01-30", "3/2/2024"
    sa, sb = shift_date_text(a, -200), shift_date_text(b, -200)
    before = dt.date(2024, 3, 2) - dt.date(2024, 1, 30)
    after = dt.datetime.strptime(sb, "%m/%d/%Y").date() - dt.date.fromisoformat(sa)
    assert before == after


def test_when_note_date_is_iso_then_it_shifts():
    assert shift_iso_date("2024-01-01", -1) == "2023-12-31"
    assert shift_iso_date(None, 5) is None
