"""The word sets' own questions: a misspelt word, and how a word is spelt."""

import pytest

from tests.transforms.deid.vocab import vocabulary


@pytest.mark.parametrize(
    ("word", "misspelt"),
    [
        ("Amniodarone", True),  # a letter added to a drug
        ("recieved", True),  # two neighbours swapped
        ("recived", True),  # a letter dropped (7 letters)
        ("receivad", True),  # a letter changed
        ("Amiodarone", False),  # spelt right: a list knows it
        ("Visitd", False),  # six letters: too short to tell from a name
        ("recieeved", False),  # two edits away
        ("Korvalis", False),  # near nothing
        ("recieved2", False),  # not a word of letters
    ],
)
def test_when_a_word_is_one_edit_from_a_known_word_then_it_is_misspelt(word, misspelt):
    assert vocabulary().misspelt(word) is misspelt


@pytest.mark.parametrize(
    ("word", "misspelt"),
    [
        ("imtermittant", True),  # two letters changed, 12 letters
        ("Nitroglercerine", True),  # a letter changed and one added
        ("intermittent", False),  # spelt right
        ("imtermitttannt", False),  # four edits away
        ("amiodaroone", True),  # one edit, as before
        ("anmiodaronne", True),  # two added
        ("reciievedd", False),  # ten letters, but "received" is too short to be meant from two edits
        ("Brindlecombe", False),  # a long name near nothing
    ],
)
def test_when_a_long_word_is_two_edits_from_a_long_known_word_then_it_is_misspelt(word, misspelt):
    right = frozenset({"received", "amiodarone", "intermittent", "nitroglycerine"})
    v = vocabulary(spelt_right=right, known_words=vocabulary().known_words | right)
    assert v.misspelt(word) is misspelt


def test_when_a_word_is_shorter_than_ten_letters_then_two_edits_do_not_make_it_misspelt():
    v = vocabulary(spelt_right=frozenset({"hospitals"}))
    assert v.misspelt("hozpitalz") is False
    assert vocabulary(spelt_right=frozenset({"electrolytes"})).misspelt("elektrolytez") is True


def test_when_a_name_list_holds_the_word_then_it_is_not_misspelt():
    assert vocabulary(any_names=frozenset({"recieved"})).misspelt("Recieved") is False


def test_when_a_word_is_spelt_then_it_is_misspelt_known_or_neither():
    v = vocabulary()
    assert [v.spelling(w) for w in ("recieved", "Received", "Korvalis")] == [True, False, None]
    assert v.spelling("Rose") is None  # an English word that a name list holds: maybe a name


def test_when_many_words_are_spelt_then_the_remembered_answers_stay_bounded(monkeypatch):
    import transforms.deid.vocabulary as vocabulary_module

    monkeypatch.setattr(vocabulary_module, "_SPELT_MAX", 2)
    v = vocabulary()
    assert [v.spelling(w) for w in ("recieved", "Received", "Korvalis", "recieved")] == [True, False, None, True]
    assert len(v._spelt) <= 2


def _shapes():
    names = frozenset({"donna", "harold", "adeyemi", "beckwith", "berg", "anh", "nomvula", "marlena", "kowalski",
                       "thandiwe", "olusegun", "brindley"})
    words = frozenset({"sulfate", "secretions", "aspiration", "oxygenation", "ventilation", "magnesium", "pressure",
                       "saturation", "sedation", "tolerated", "suctioned", "medication"})
    return vocabulary(any_names=names, known_words=vocabulary().known_words | words)


def test_when_an_unlisted_word_is_judged_by_its_letters_then_word_endings_look_unlike_names():
    v = _shapes()
    assert v.nameness("Secreations") < v.nameness("Kowalska") and v.nameness("Mgsulfation") < v.nameness("Thandeka")
    assert v.nameness("saturation") < -1 < v.nameness("olusegan")


@pytest.mark.parametrize(
    ("word", "shape"),
    [
        ("Sedations", True),  # unlisted, and its letters look like a word's
        ("secretion", True),
        ("Thandeka", None),  # unlisted, and its letters look like a name's: maybe a name
        ("sulfate", False),  # a listed word that no name list holds
        ("Donna", None),  # a name-list word
        ("Zq", None),  # too short to judge
    ],
)
def test_when_a_word_is_judged_then_it_is_word_like_listed_or_maybe_a_name(word, shape):
    assert _shapes().wordlike(word) is shape
