"""The PHI leak guard. For each note, the PHI strings the analyzer found in the source must not
appear in its de-identified text, nor in the facts extracted from it.

Facts are checked later, in another task, against keyed hashes of the PHI strings ("PHI tokens"),
so the strings themselves never leave the de-identification stage."""

from __future__ import annotations

import re

from transforms.keys import keyed_hash
from transforms.records import PhiSpan

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-./@]*")


def _norm(value: str) -> str:
    return " ".join(w.lower() for w in _WORD.findall(value))


def _checkable(value: str) -> bool:
    return sum(c.isalnum() for c in value) >= 3


def text_leaks(original: str, spans: list[PhiSpan], deidentified: str) -> list[str]:
    """Types of the PHI values still present (as whole words) in the de-identified text."""
    leaked = []
    for s in spans:
        value = original[s.start : s.end].strip()
        if _checkable(value) and re.search(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", deidentified):
            leaked.append(s.entity_type)
    return leaked


def phi_tokens(secret: bytes, original: str, spans: list[PhiSpan]) -> list[str]:
    """Keyed hashes of each PHI value (normalised), for checking facts without carrying the values."""
    return sorted({keyed_hash(secret, "phi", _norm(original[s.start : s.end]), length=16)
                   for s in spans if _checkable(original[s.start : s.end])})  # fmt: skip


def fact_leaks(secret: bytes, tokens: set[str], texts: list[str], max_words: int = 6) -> int:
    """How many word n-grams of the fact texts hash to a PHI token of the note."""
    if not tokens:
        return 0
    hits = 0
    for text in texts:
        words = [w.lower() for w in _WORD.findall(text or "")]
        for n in range(1, max_words + 1):
            for i in range(len(words) - n + 1):
                if keyed_hash(secret, "phi", " ".join(words[i : i + n]), length=16) in tokens:
                    hits += 1
    return hits
