"""Name propagation: a name found once in a note is masked wherever it recurs in that note."""

from __future__ import annotations

import regex
from spacy.lang.en.stop_words import STOP_WORDS

from transforms.records import PhiSpan

NAME_WORD = regex.compile(r"[A-Za-z][A-Za-z'\-]+")
# a capital initial (or two) just before a name: "K. ABRAMS", "W MAROTTA", "J. Chang" (not "A" or "I" bare)
_INITIAL_BEFORE = regex.compile(r"(?:^|(?<=[^\w.]))([A-Z]\.[ \t]?[A-Z]\.?|[A-Z]\.?)[ \t]+$")
_STOP_WORDS = frozenset(STOP_WORDS)


def propagate_names(text: str, spans: list[PhiSpan], clinical_terms: frozenset[str],
                     common_words: frozenset[str] = frozenset(), any_case: bool = False,
                     min_score: float = 0.8) -> list[PhiSpan]:  # fmt: skip
    """A name found once (by a detection scoring at least `min_score`) is masked everywhere in the
    note ("Mr. Smith" ... "Smith said ..."), in any case, except a lower-case copy of an everyday
    word ("Mrs. Heart" ... "heart failure")."""
    words = set()
    for s in spans:
        if s.entity_type == "PERSON" and s.score >= min_score:
            for w in NAME_WORD.findall(text[s.start : s.end]):
                w = w.removesuffix("'s")
                low = w.lower()
                if (len(w) >= 3 and (any_case or w[0].isupper()) and low not in clinical_terms
                        and low not in _STOP_WORDS):  # fmt: skip
                    words.add(w)
    found = []
    low = text.lower()
    if len(low) != len(text):  # a letter whose lower case is two ("İ" unfolded): keep it as it is
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    for w in words:
        lower_ok = w.lower() not in common_words
        for start in occurrences(low, w.lower()):
            end = start + len(w)
            if not lower_ok and text[start:end].islower():
                continue
            found.append(PhiSpan(start, end, "PERSON", 0.8))
    return found


_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def occurrences(low: str, word: str) -> list[int]:
    """Starts of `word` in `low` (both lower case) not touching an ASCII letter or digit on either
    side: a str.find scan, since a regex compiled per name (every note brings new names) cost more
    than all the matching."""
    out, i = [], low.find(word)
    while i >= 0:
        end = i + len(word)
        if (i == 0 or low[i - 1] not in _ASCII_ALNUM) and (end == len(low) or low[end] not in _ASCII_ALNUM):
            out.append(i)
        i = low.find(word, i + 1)
    return out


def with_initials(text: str, spans: list[PhiSpan]) -> list[PhiSpan]:
    """Name spans grown over the initial written before them ("per K. Abrams": the "K." too)."""
    out = list(spans)
    for s in spans:
        if s.entity_type != "PERSON":
            continue
        m = _INITIAL_BEFORE.search(text, max(0, s.start - 8), s.start)
        if m and m.group(1) not in ("A", "I"):
            out.append(PhiSpan(m.start(1), s.end, "PERSON", s.score))
    return out


# found values of these types are masked wherever they recur in the note, as written (names have
# their own pass above; dates are not: "2020" or "5/5" elsewhere is no copy of a found date)
VALUE_TYPES = frozenset(("ZIP", "PHONE", "ID", "MRN", "SSN", "EMAIL", "URL", "IP_ADDRESS", "ADDRESS", "LOCATION",
                         "ORGANIZATION"))  # fmt: skip


def propagate_values(text: str, spans: list[PhiSpan]) -> list[PhiSpan]:
    """Every other occurrence, as written and on word edges, of a found identifier, place or
    organisation ("Coronado CA 92118 ... my zip code is 92118"): what is replaced once is replaced
    everywhere, so the leak guard never finds a found value surviving."""
    values = {(text[s.start : s.end], s.entity_type) for s in spans if s.entity_type in VALUE_TYPES}
    found = []
    for value, kind in values:
        if sum(c.isalnum() for c in value) < 3:
            continue
        found += [PhiSpan(i, i + len(value), kind, 0.8) for i in occurrences(text, value)]  # as written: case kept
    return found
