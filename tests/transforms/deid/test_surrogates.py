"""Surrogates never reuse a word of a real name of the same note, nor hold a real place's words; a
date the shift leaves as it was is withheld."""

import pytest

from transforms.deid.surrogates import FIRST_NAMES, name_keys, surrogate_name, surrogate_place


def test_when_a_fake_word_would_be_another_real_name_word_then_another_is_drawn():
    real = "Michelle Morgan"
    avoid = frozenset(name_keys(real)) | {FIRST_NAMES[0].lower()}
    plain = [surrogate_name(real, b"k" * 32, f"scope{i}") for i in range(300)]
    assert any(set(name_keys(p)) & avoid for p in plain)  # without `avoid`, collisions happen
    for i in range(300):
        fake = surrogate_name(real, b"k" * 32, f"scope{i}", avoid)
        assert not set(name_keys(fake)) & avoid, fake
        assert fake == surrogate_name(real, b"k" * 32, f"scope{i}", avoid)  # still deterministic


def test_when_the_shift_leaves_a_written_date_as_it_was_then_it_is_withheld():
    from transforms.deid.replace import shifted as _shifted

    assert _shifted("November 2020", 3) == "[DATE]"  # month and year unchanged: the text would show them
    assert _shifted("November 2020", 40) != "November 2020" and "2020" in _shifted("November 2020", 40)
    assert _shifted("11/05/2020", 3) == "11/08/2020"


@pytest.mark.parametrize(("value", "kind"), [("Community", "ORGANIZATION"), ("GENERAL", "ORGANIZATION"),
                                             ("Summit", "ADDRESS"), ("Cedar", "LOCATION")])
def test_when_a_fake_place_would_hold_the_real_words_then_another_is_drawn(value, kind):
    fakes = [surrogate_place(value, b"k" * 32, f"scope{i}", kind) for i in range(200)]
    assert not any(value.lower() in f.lower().split() for f in fakes), value
    assert fakes == [surrogate_place(value, b"k" * 32, f"scope{i}", kind) for i in range(200)]  # deterministic
