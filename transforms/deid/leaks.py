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


def text_leaks(original: str, spans: list[PhiSpan], deidentified: str,
               replaced: list[tuple[int, int, int, int]] | None = None) -> list[str]:  # fmt: skip
    """Types of the PHI values still present (as whole words) in the de-identified text; for names,
    each word of the name too. `replaced` maps output ranges to the original spans they replaced:
    a match inside the surrogate of ANOTHER span is a coincidence (a fake surname that equals a
    real town), not a leak; a match anywhere else, its own span's output included, is a leak."""
    leaked = []
    for s in spans:
        value = original[s.start : s.end].strip()
        needles = [value] if _checkable(value) else []
        if s.entity_type == "PERSON":
            needles += [w for w in re.findall(r"[A-Za-z][A-Za-z'\-]{2,}", value) if w.lower() not in _TITLES]
        others = [(a, b) for a, b, o0, o1 in replaced or [] if (o0, o1) != (s.start, s.end)]
        if any(_found_outside(n, deidentified, others) for n in needles):
            leaked.append(s.entity_type)
    return leaked


_TITLES = {"dr", "mr", "mrs", "ms", "miss", "prof", "doctor", "nurse"}


def _found_outside(needle: str, text: str, ranges: list[tuple[int, int]]) -> bool:
    for m in re.finditer(rf"(?<![A-Za-z0-9]){re.escape(needle)}(?![A-Za-z0-9])", text):
        if not any(a <= m.start() and m.end() <= b for a, b in ranges):
            return True
    return False


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
