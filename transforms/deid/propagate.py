"""Name propagation: a name found once in a note is masked wherever it recurs in that note."""

from __future__ import annotations

import regex
from spacy.lang.en.stop_words import STOP_WORDS

from transforms.records import PhiSpan

NAME_WORD = regex.compile(r"[A-Za-z][A-Za-z'\-]+")
_STOP_WORDS = frozenset(STOP_WORDS)


def propagate_names(text: str, spans: list[PhiSpan], clinical_terms: frozenset[str],
                     common_words: frozenset[str] = frozenset(), any_case: bool = False) -> list[PhiSpan]:  # fmt: skip
    """A name found once is masked everywhere in the note ("Mr. Smith" ... "Smith said ..."), in any
    case, except a lower-case copy of an everyday word ("Mrs. Heart" ... "heart failure")."""
    words = set()
    for s in spans:
        if s.entity_type == "PERSON" and s.score >= 0.8:
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
