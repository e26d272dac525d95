"""Street addresses stay on one line and never end in lower-case shorthand."""

import pytest
import regex

from transforms.deid.recognizers import load_pattern_specs


@pytest.fixture(scope="module")
def street():
    spec = next(p for p in load_pattern_specs() if p.name == "street_address")
    return regex.compile(spec.regex, regex.IGNORECASE)


@pytest.mark.parametrize("text, found", [
    ("lives at 123 Main St. in Boston", "123 Main St."), ("123 MAIN ST", "123 MAIN ST"),
    ("4 N. Elm Street", "4 N. Elm Street"), ("12 St. Paul Ave", "12 St. Paul Ave"), ("99 oak road", "99 oak road"),
    ("45 degrees. neuro vs q1h. ct", None), ("25 stable ct", None), ("500 ml hespan. ct", None),
    ("7 was \nplace", None), ("5 beat runs vt. dr.", None),
])  # fmt: skip
def test_when_a_street_address_is_looked_for_then_shorthand_is_not_one(street, text, found):
    m = street.search(text)
    assert (m.group(0) if m else None) == found
