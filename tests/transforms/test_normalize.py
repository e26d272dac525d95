"""The analysis view: what a reader sees, with offsets back into the original."""

import unicodedata

import pytest

from transforms.deid.normalize import analysis_view, reader_form, to_original

SPELLINGS = {
    "nfd": unicodedata.normalize("NFD", "Zoë Müller"),
    "soft hyphen": "Zoë Mül\u00adler",
    "zero width": "Zo\u200bë Mül\u200dler",
    "homoglyph": "Zоë Мüller",  # Cyrillic о and М
    "fullwidth": "Ｚｏë Ｍüller",
}


@pytest.mark.parametrize("name", SPELLINGS)
def test_when_a_name_is_spelled_to_hide_then_its_view_reads_as_written_plainly(name):
    text = f"Seen with {SPELLINGS[name]} today"
    view, origin = analysis_view(text)
    assert view == "Seen with Zoë Müller today" or view == "Seen with Zoe Muller today"
    s = view.index("Z")
    e = s + len("Zoë Müller")
    lo, hi = to_original(s, e, origin, text)
    assert text[lo:hi] == SPELLINGS[name]


def test_when_text_is_plain_or_wholly_in_another_script_then_it_is_its_own_view():
    assert analysis_view("plain ASCII note") is None
    assert analysis_view("Москва") is None  # a Cyrillic word stays Cyrillic (and is taken for a name elsewhere)


def test_when_surrogates_key_on_a_value_then_every_spelling_gives_one_form():
    assert {reader_form(v) for v in SPELLINGS.values()} <= {"Zoë Müller", "Zoe Muller"}


@pytest.mark.parametrize("name", SPELLINGS)
def test_when_a_spelled_name_is_deidentified_then_no_part_of_it_is_left(deidentifier, name):
    text = f"Patient {SPELLINGS[name]} was seen today. Plan: continue metformin."
    (spans, res) = deidentifier.process_batch([(text, "p1", None)])[0]
    from transforms.deid.recognizers import fold_text

    out = fold_text(unicodedata.normalize("NFKC", res.text)).lower()
    assert "zoe" not in out and "muller" not in out and spans
    assert res.text.endswith("was seen today. Plan: continue metformin.")
    assert "\u00ad" not in res.text and "\u200b" not in res.text and "\u0308" not in res.text
