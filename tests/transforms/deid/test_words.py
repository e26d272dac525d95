"""The heuristics' word lists are data: each is present, lower case and single words."""

import yaml

from transforms.deid.words import _FILE, word_list


def test_every_word_list_loads_lower_case_single_words():
    names = yaml.safe_load(_FILE.read_text())
    assert len(names) >= 10
    for name in names:
        words = word_list(name)
        assert words and all(w == w.lower() and w.isascii() and " " not in w for w in words), name
    assert {"dr", "patient", "wife"} <= word_list("role_words") and "catheter" in word_list("eponym_next")
