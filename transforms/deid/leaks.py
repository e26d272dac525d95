"""The PHI leak guard. For each note, the PHI strings the analyzer found in the source must not
appear in its de-identified text, nor in the facts extracted from it.

Facts are checked later, in another task, against keyed hashes of the PHI strings ("PHI tokens"),
so the strings themselves never leave the de-identification stage."""

from __future__ import annotations

import bisect
import re

from spacy.lang.en.stop_words import STOP_WORDS

from transforms.deid.words import word_list
from transforms.keys import keyed_hash, subkey
from transforms.records import PhiSpan

_WORD = re.compile(r"[^\W_][\w'\-./@]*")  # letters and digits in any script


def _norm(value: str) -> str:
    return " ".join(w.lower() for w in _WORD.findall(value))


def _checkable(value: str) -> bool:
    return sum(c.isalnum() for c in value) >= 3


_TOKEN = re.compile(r"[^\W_]+")
_MAX_TOKENS = 12


def text_leaks(original: str, spans: list[PhiSpan], deidentified: str,
               replaced: list[tuple[int, int, int, int]] | None = None) -> list[str]:  # fmt: skip
    """Types of the PHI values still present in the de-identified text (as the same sequence of
    words, punctuation aside); for names, each word of the name too (not a title, a surname
    particle or a lower-case stop word: none names anyone alone). `replaced` maps output ranges
    to the original spans they replaced: a match inside the surrogate of ANOTHER span is a
    coincidence (a fake surname that equals a real town), not a leak; a match anywhere else, its
    own span's output included, is a leak. One pass over the output words: linear in its length."""
    needles: dict[tuple[str, ...], set[int]] = {}
    for i, s in enumerate(spans):
        value = original[s.start : s.end]
        person = s.entity_type == "PERSON"
        if _checkable(value) and not (person and _names_no_one(value.strip())):
            needles.setdefault(tuple(_TOKEN.findall(value))[:_MAX_TOKENS], set()).add(i)
        if person:
            for w in re.findall(r"[^\W\d_][\w'\-]{2,}", value):
                if not _names_no_one(w):
                    needles.setdefault(tuple(_TOKEN.findall(w)), set()).add(i)
    needles.pop((), None)
    if not needles:
        return []
    prefixes = {k[:n] for k in needles for n in range(1, len(k) + 1)}  # a run of words no needle begins with ends the search
    ranges = sorted(replaced or [])
    starts = [r[0] for r in ranges]
    words = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(deidentified)]
    by_range = {(sp.start, sp.end): i for i, sp in enumerate(spans)}
    leaked: set[int] = set()
    outside: set[tuple[str, ...]] = set()  # values found outside any surrogate: all their spans leak
    for i in range(len(words)):
        key: tuple[str, ...] = ()
        for n in range(1, len(words) - i + 1):
            key += (words[i + n - 1][2],)
            if key not in prefixes:
                break
            if key not in needles or key in outside:
                continue
            owner = _containing(ranges, starts, words[i][0], words[i + n - 1][1])
            if owner is None:
                outside.add(key)
            elif by_range.get(owner) in needles[key]:  # the value survived inside its own span's output
                leaked.add(by_range[owner])
    for key in outside:
        leaked |= needles[key]
    return [spans[i].entity_type for i in sorted(leaked)]


def _containing(ranges: list[tuple[int, int, int, int]], starts: list[int], a: int, b: int) -> tuple[int, int] | None:
    """The original span whose output range contains [a, b), if any."""
    k = bisect.bisect_right(starts, a) - 1
    if k >= 0 and ranges[k][0] <= a and b <= ranges[k][1]:
        return ranges[k][2], ranges[k][3]
    return None


# words of a name that identify no one alone: titles, and the particles of a surname ("Anke van
# Velden": a "van" elsewhere, "came by van", is no leak; the whole name still is). Particles of two
# letters never are a name's word needle (3 letters or more), and "Al" alone stays a needle.
_TITLES = {"dr", "mr", "mrs", "ms", "miss", "prof", "doctor", "nurse"} | {
    p for p in word_list("surname_particles") if len(p) >= 3}  # fmt: skip


def _names_no_one(word: str) -> bool:
    """A title, a surname particle, or a stop word written in lower case ("just" tagged as a name
    by mistake: its other copies are no leak)."""
    return word.lower() in _TITLES or (word.islower() and word in STOP_WORDS)


def phi_tokens(secret: bytes, original: str, spans: list[PhiSpan]) -> list[str]:
    """Keyed hashes of each PHI value (normalised), for checking facts without carrying the values."""
    key = subkey(secret, "leak-guard")
    return sorted({keyed_hash(key, "phi", _norm(original[s.start : s.end]), length=16)
                   for s in spans if _checkable(original[s.start : s.end])})  # fmt: skip


def fact_leaks(secret: bytes, tokens: set[str], texts: list[str], max_words: int = 6) -> int:
    """How many word n-grams of the fact texts hash to a PHI token of the note."""
    if not tokens:
        return 0
    hits = 0
    key = subkey(secret, "leak-guard")
    for text in texts:
        words = [w.lower() for w in _WORD.findall(text or "")]
        for n in range(1, max_words + 1):
            for i in range(len(words) - n + 1):
                if keyed_hash(key, "phi", " ".join(words[i : i + n]), length=16) in tokens:
                    hits += 1
    return hits
