"""The de-identifier's declared data, read once: the heuristics' word lists (words.yaml) and the
shared pieces of the patterns (the macros of recognizers.yaml: months, weekdays, ordinals...)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

_FILE = Path(__file__).with_name("words.yaml")


@lru_cache(maxsize=1)
def _lists() -> dict[str, frozenset[str]]:
    data = yaml.safe_load(_FILE.read_text(encoding="utf-8"))
    return {name: frozenset(str(text).split()) for name, text in data.items()}


def word_list(name: str) -> frozenset[str]:
    """One named list of words.yaml (KeyError for a name it does not hold)."""
    return _lists()[name]


@lru_cache(maxsize=1)
def pattern_macros() -> dict[str, str]:
    """The macros of recognizers.yaml ({MONTH}, {WEEKDAY}, ...): the dates module builds its
    rewriting shapes from the same month and weekday spellings the patterns find dates with."""
    data = yaml.safe_load(_FILE.with_name("recognizers.yaml").read_text(encoding="utf-8"))
    return dict(data["macros"])
