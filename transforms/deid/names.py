"""Name lists and a recognizer for "First Last" / "First M. Last" / "Last, First" pairs built on them.

The lists: the `names` package (US Census 1990: 5,494 first names, 88,799 surnames) and Philter's
lists from `philter-lite` (97k first names, 161k surnames, many of them non-English), less the words
Philter itself lists as not names (clinical and everyday vocabulary).

A pair needs a known first name and a capitalised word that is a known surname, in the same
casing; words that are also everyday or clinical words ("Will", "May", "Grant", "Foley") only
count inside a pair.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult

from transforms.deid.recognizers import mostly_upper, starts_clause
from transforms.deid.words import word_list
from transforms.lexicons import not_names, philter_first_names, philter_last_names

_TOKEN = regex.compile(
    r"\b[A-Z][a-z]+(?:['\-][A-Z]?[a-z]+)?\b|\b[A-Z]{2,}(?:['\-][A-Z]+)?\b|\b[A-Z]\.|\b[a-z]{3,}(?:['\-][a-z]+)?\b"
)
# first names that are also common words at the start of a clause; they count only after a title
_AMBIGUOUS_FIRST = word_list("ambiguous_first_names")


@lru_cache(maxsize=1)
def census_names() -> tuple[frozenset[str], frozenset[str]]:
    pkg = resources.files("names")

    def read(name: str, top: int | None = None) -> list[str]:
        lines = pkg.joinpath(name).read_text().splitlines()
        return [ln.split()[0].lower() for ln in lines[:top] if ln.strip()]

    first = frozenset(read("dist.female.first") + read("dist.male.first"))
    last = frozenset(read("dist.all.last"))
    return first, last


@lru_cache(maxsize=1)
def known_names() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames), lower case: the Census lists plus Philter's, less Philter's
    not-a-name words (a Census name stays even if Philter lists it as a word: "Mark", "Hope")."""
    first, last = census_names()
    common = not_names()
    return first | (philter_first_names() - common), last | (philter_last_names() - common)


class NameListRecognizer(EntityRecognizer):
    def __init__(self, stop_words: frozenset[str], clinical_terms: frozenset[str]):
        self.first, self.last = known_names()
        self.blocked_first = stop_words | clinical_terms
        self.common = not_names()
        # a surname after a real first name is a name even if it is also an eponym ("Mary Wilson")
        self.blocked_last = stop_words
        super().__init__(supported_entities=["PERSON"], name="chartsift_names", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001 - Presidio's signature
        toks = list(_TOKEN.finditer(text))
        upper_note = mostly_upper(text)
        results = []
        i = 0
        while i < len(toks) - 1:
            a = toks[i]
            word = a.group(0).lower()
            if a.start() and text[a.start() - 1] in "-/":  # part of a compound ("x-ray clear")
                i += 1
                continue
            if self._last_comma_first(text, toks, i):  # "Nwosu, Tomasz" / "KANG, AMA"
                results.append(RecognizerResult("PERSON", a.start(), toks[i + 1].end(), 0.85))
                i += 2
                continue
            if upper_note and self._upper_pair_subject(text, toks, i):  # "GREGORINA IRIZARRY REMAINS ON BIPAP"
                results.append(RecognizerResult("PERSON", a.start(), toks[i + 1].end(), 0.8))
                i += 2
                continue
            if self._lone_first_name(text, toks, i):  # "Haruto was admitted", "Sione's fever"
                results.append(RecognizerResult("PERSON", a.start(), a.end() - 2 * a.group(0).endswith("'s"), 0.8))
                i += 1
                continue
            if word in self.first and word not in self.blocked_first and word not in _AMBIGUOUS_FIRST:
                j = i + 1
                if toks[j].group(0).endswith(".") and j + 1 < len(toks) and _adjacent(text, toks[i], toks[j]):
                    j += 1  # middle initial
                b = toks[j]
                last = b.group(0).lower().removesuffix("'s")
                if _adjacent(text, toks[j - 1], b) and last in self.last and last not in self.blocked_last:
                    if _same_casing(a.group(0), b.group(0)) and (
                        not a.group(0).islower() or _plausible_lower_pair(word, last, self.blocked_first)
                    ):  # "John Smith", "JOHN SMITH", "john smith"
                        results.append(RecognizerResult("PERSON", a.start(), b.end(), 0.85))
                        i = j + 1
                        continue
            i += 1
        return results + self._lone_names(text, toks, results, upper_note)

    def _lone_names(self, text: str, toks: list, found: list[RecognizerResult], upper_note: bool) -> list[RecognizerResult]:  # noqa: ANN001
        """A single word that a name list knows and no word list does ("He states Uriel fell",
        "Copy to Dr Banks's inbox. Cyrus (RN)"): in Title case away from the start of a clause, or,
        in an all-caps note, any all-caps word of four letters or more ("SW ZOLTAN")."""
        taken = [(r.start, r.end) for r in found]
        out = []
        for k, t in enumerate(toks):
            w = t.group(0)
            if len(w) < 3 or any(a <= t.start() < b for a, b in taken):
                continue
            if upper_note:
                if not (w.isupper() and len(w) >= 4):
                    continue
            elif not (w[0].isupper() and w[1:].islower()) or starts_clause(text, t.start(), _CLAUSE_MARKS):
                continue
            word = w.lower().removesuffix("'s")
            if word not in self.first and word not in self.last:
                continue
            if word in self.blocked_first or word in _AMBIGUOUS_FIRST or word in self.common or word in _NOT_LONE:
                continue
            nxt = toks[k + 1].group(0).lower() if k + 1 < len(toks) else ""
            if nxt in _PLACE_WORDS or nxt in _EPONYM_NEXT or (t.start() and text[t.start() - 1] in "-/"):
                continue  # "Sumner County", "Lakeland Regional", "Blake drain", "Tanner stage"
            out.append(RecognizerResult("PERSON", t.start(), t.end() - 2 * w.endswith("'s"), 0.6))
        return out

    def _lone_first_name(self, text: str, toks: list, i: int) -> bool:  # noqa: ANN001
        """A known first name alone, in Title case, that is the subject of a clinical verb or a
        possessive ("Sione's fever")."""
        a, b = toks[i], toks[i + 1]
        w = a.group(0)
        if not (w[0].isupper() and w[1:2].islower()):
            return False
        word = w.lower().removesuffix("'s")
        if word not in self.first or word in self.blocked_first or word in _AMBIGUOUS_FIRST or word in self.common:
            return False
        nxt = b.group(0)
        if not nxt.islower() or not _adjacent(text, a, b):
            return False
        return nxt in _SUBJECT_VERBS or (w.endswith("'s") and len(nxt) >= 3)

    def _upper_pair_subject(self, text: str, toks: list, i: int) -> bool:  # noqa: ANN001
        """In an all-caps note, where NER is off: two all-caps words that are the subject of a
        clinical verb, one a known first name (first) or surname (second), neither an everyday,
        clinical or stop word. A name no list has ("GREGORINA") then still counts beside one
        that a list has ("IRIZARRY")."""
        if i + 2 >= len(toks):
            return False
        a, b, verb = toks[i], toks[i + 1], toks[i + 2]
        wa, wb = a.group(0), b.group(0)
        if not (wa.isupper() and wb.isupper() and len(wa) >= 3 and len(wb) >= 3):
            return False
        if not (_adjacent(text, a, b) and _adjacent(text, b, verb)) or verb.group(0).lower() not in _SUBJECT_VERBS:
            return False
        la, lb = wa.lower(), wb.lower()
        if any(w in self.blocked_first or w in self.common or w in _AMBIGUOUS_FIRST for w in (la, lb)):
            return False
        return la in self.first or lb in self.last

    def _last_comma_first(self, text: str, toks: list, i: int) -> bool:  # noqa: ANN001
        a, b = toks[i], toks[i + 1]
        if text[a.end() : b.start()] not in (", ", ","):
            return False
        last, first = a.group(0).lower().removesuffix("'s"), b.group(0).lower()
        return (len(last) >= 2 and len(first) >= 2 and not a.group(0).islower() and _same_casing(a.group(0), b.group(0))
                and last in self.last and first in self.first and last not in self.blocked_first
                and first not in self.blocked_first and first not in _AMBIGUOUS_FIRST)  # fmt: skip


# verbs that follow a patient's first name in notes ("Haruto was admitted", "Sione reports")
_SUBJECT_VERBS = word_list("subject_verbs")


# words that name lists hold but that head a place or organisation when the next word is one of these
_PLACE_WORDS = word_list("place_words")
# words after an eponym: a device, scale or disease named after a person is not that person
_EPONYM_NEXT = word_list("eponym_next")
_NOT_LONE = word_list("not_lone_names")


# a lone name is not read right after these (also table pipes, bullets, headings and quotes)
_CLAUSE_MARKS = ".\n:;!?-|*#>"


def _same_casing(a: str, b: str) -> bool:
    def kind(w: str) -> str:
        return "upper" if w.isupper() else "lower" if w.islower() else "title"

    return kind(a) == kind(b)


def _plausible_lower_pair(first: str, last: str, blocked: frozenset[str]) -> bool:
    """Lower-case text ("pt john smith seen today"): both words must be names and neither an
    everyday or clinical word, since nothing is capitalised."""
    return len(first) >= 3 and len(last) >= 3 and last not in blocked and last not in _COMMON_LOWER


# surnames that are everyday words; in lower-case text they are read as words
_COMMON_LOWER = word_list("common_lower_surnames")


def _adjacent(text: str, a: regex.Match, b: regex.Match) -> bool:
    gap = text[a.end() : b.start()]
    return len(gap) <= 2 and gap.strip(" ") == ""
