"""The de-identifier's declared data, read once: the heuristics' word lists (words.yaml) and the
shared pieces of the patterns (the macros of recognizers.yaml: months, weekdays, ordinals...)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import regex
import yaml

_FILE = Path(__file__).with_name("words.yaml")


@lru_cache(maxsize=1)
def _lists() -> dict[str, frozenset[str]]:
    data = yaml.safe_load(_FILE.read_text(encoding="utf-8"))
    return {name: frozenset(str(text).split()) for name, text in data.items()}


def word_list(name: str) -> frozenset[str]:
    """One named list of words.yaml (KeyError for a name it does not hold)."""
    return _lists()[name]


def alternation(words: Iterable[str]) -> str:
    """`words` as a regex alternation, longest first, so a word wins over its own prefix
    ("reflexes" before "reflex"); escaped, and in a stable order."""
    return "|".join(regex.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


@lru_cache(maxsize=1)
def pattern_macros() -> dict[str, str]:
    """The macros of recognizers.yaml ({MONTH}, {WEEKDAY}, ...): the dates module builds its
    rewriting shapes from the same month and weekday spellings the patterns find dates with."""
    data = yaml.safe_load(_FILE.with_name("recognizers.yaml").read_text(encoding="utf-8"))
    return dict(data["macros"])
