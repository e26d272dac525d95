"""Name lists from the `names` package (US Census 1990: 5,494 first names, 88,799 surnames) and a
recognizer for "First Last" / "First M. Last" / "LAST, FIRST" pairs built on them.

A pair needs a known first name followed by a capitalised word that is a known surname; words
that are also everyday or clinical words ("Will", "May", "Grant", "Foley") only count inside a pair.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult

_TOKEN = regex.compile(r"\b[A-Z][a-z]+(?:['\-][A-Z]?[a-z]+)?\b|\b[A-Z]{2,}(?:['\-][A-Z]+)?\b|\b[A-Z]\.")
# first names that are also common words at the start of a clause; they count only after a title
_AMBIGUOUS_FIRST = frozenset("""will may june april august mark bill art grant hope faith joy
rose iris ivy page dean chase carter hunter major king earl sterling an in is it on or so to the
no not all see said the says long young rich frank guy""".split())


@lru_cache(maxsize=1)
def census_names() -> tuple[frozenset[str], frozenset[str]]:
    pkg = resources.files("names")

    def read(name: str, top: int | None = None) -> list[str]:
        lines = pkg.joinpath(name).read_text().splitlines()
        return [ln.split()[0].lower() for ln in lines[:top] if ln.strip()]

    first = frozenset(read("dist.female.first") + read("dist.male.first"))
    last = frozenset(read("dist.all.last"))
    return first, last


class NameListRecognizer(EntityRecognizer):
    def __init__(self, stop_words: frozenset[str], clinical_terms: frozenset[str]):
        self.first, self.last = census_names()
        self.blocked_first = stop_words | clinical_terms
        # a surname after a real first name is a name even if it is also an eponym ("Mary Wilson")
        self.blocked_last = stop_words
        super().__init__(supported_entities=["PERSON"], name="chartsift_names", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001 - Presidio's signature
        toks = list(_TOKEN.finditer(text))
        results = []
        i = 0
        while i < len(toks) - 1:
            a = toks[i]
            word = a.group(0).lower()
            if word in self.first and word not in self.blocked_first and word not in _AMBIGUOUS_FIRST:
                j = i + 1
                if toks[j].group(0).endswith(".") and j + 1 < len(toks) and _adjacent(text, toks[i], toks[j]):
                    j += 1  # middle initial
                b = toks[j]
                last = b.group(0).lower().removesuffix("'s")
                if _adjacent(text, toks[j - 1], b) and last in self.last and last not in self.blocked_last:
                    if a.group(0).isupper() == b.group(0).isupper():  # same casing: "John Smith", "JOHN SMITH"
                        results.append(RecognizerResult("PERSON", a.start(), b.end(), 0.85))
                        i = j + 1
                        continue
            i += 1
        return results


def _adjacent(text: str, a: regex.Match, b: regex.Match) -> bool:
    gap = text[a.end() : b.start()]
    return len(gap) <= 2 and gap.strip(" ") == ""
