"""The heuristics' word lists, read once from words.yaml (data, like the patterns)."""

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
