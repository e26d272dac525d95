"""The word sets the de-identification passes read, gathered once per de-identifier: which words are
names (census and Philter lists), which are places, and which are never PHI on their own (English,
drugs, clinical terms, stop words, titles, labels). The passes (`tidy.py`, `windows.py`) take this
record instead of reaching into the de-identifier."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from spacy.lang.en.stop_words import STOP_WORDS

from transforms.deid.names import census_names, known_names
from transforms.deid.tagger import EDGE_WORDS
from transforms.deid.words import word_list
from transforms.lexicons import (
    common_english_words,
    countries_and_states,
    drug_words,
    english_words,
    not_names,
    philter_first_names,
    philter_last_names,
)

STOP = frozenset(STOP_WORDS)
ROLE_WORDS = word_list("role_words")  # titles, roles and linking words that patterns and NER take in front of a name
LABEL_WORDS = word_list("label_words")  # field labels NER runs into ("ASTRID FITZGERALD    DOB")
PLACE_CUES = word_list("place_cues")  # never inside a US place name


MISSPELT_MIN = 7  # shorter words are one edit from too many names ("Cosmin", "cosmic"; "Brigid", "rigid")
# from this length a misspelling may be two edits from the word meant ("imtermittant", "nitroglercerine");
# no name of the gold sets' 3,419 name and place words is, that no list holds
LONG_MISSPELT_MIN = 10
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_SPELT_MAX = 200_000  # words whose spelling a Vocabulary remembers
# an unlisted word whose letters score below this (`Vocabulary.nameness`, the mean log-odds of its
# character 2- to 4-grams, names against other words) looks like a word, not a name: "secreations"
# -1.36, "mgsulfate" -1.31, "nepro" -1.13; "nomvula" -0.64, "tipene" -0.70, "szabolcs" 0.58. Of the
# 830 unlisted name and place words in the PhysioNet half, the synthetic dev sets and Synthea, 9
# score below it ("euphrosyne" -1.11, "methodius" -1.29); the classifier kept each at P 0.9 or more
WORDLIKE_MAX = -1.0


def _one_edit(w: str) -> set[str]:
    """Every lower-case word one edit from `w` (Damerau: insert, delete, replace, swap neighbours)."""
    cuts = [(w[:i], w[i:]) for i in range(len(w) + 1)]
    out = {a + b[1:] for a, b in cuts if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1}
    out |= {a + c + b[1:] for a, b in cuts if b for c in _LETTERS}
    out |= {a + c + b for a, b in cuts for c in _LETTERS}
    out.discard(w)
    return out


def _char_grams(w: str) -> list[str]:
    """The character 2-, 3- and 4-grams of `w`, its start and end marked ("^ka", "te$")."""
    m = "^" + w + "$"
    return [m[i : i + n] for n in (2, 3, 4) for i in range(len(m) - n + 1)]


def _remembered(answers: dict[str, bool | None], w: str, judge: Callable[[str], bool | None]) -> bool | None:
    """`judge(w)`, remembered in `answers`, which empties at _SPELT_MAX words (a long-running worker
    meets new words without end)."""
    if w not in answers:
        if len(answers) >= _SPELT_MAX:
            answers.clear()
        answers[w] = judge(w)
    return answers[w]


def _drops(w: str) -> list[str]:
    """`w` and every word one letter shorter than it."""
    return [w, *(w[:i] + w[i + 1 :] for i in range(len(w)))]


@dataclass(frozen=True)
class Vocabulary:
    clinical_terms: frozenset[str]
    places: frozenset[str]  # US places the place list knows (folded, lower case)
    wide_places: frozenset[str]  # countries and US states: never Safe Harbor identifiers
    not_names: frozenset[str]  # Philter's "not a name" list
    any_names: frozenset[str]  # every name any list has, even where Philter also lists the word ("Ama", "Bear")
    first_names: frozenset[str]
    last_names: frozenset[str]
    drugs: frozenset[str]
    known_words: frozenset[str]  # every word that is not a name on its own
    # clinical terms, drugs, common English (COMMON_MIN_COUNT) and stop words that no name list
    # holds: a name is never made of these alone ("clarify", "suctioned"; not Philter's not-a-name
    # list, which holds rare given names such as "Valida")
    everyday: frozenset[str]
    spelt_right: frozenset[str]  # what a misspelt word meant: everyday words of MISSPELT_MIN - 1 letters or more
    _spelt: dict[str, bool | None] = field(default_factory=dict, compare=False, repr=False)  # `spelling`'s answers
    # built on first use (`_long_forms`): the sorted hashes of the long spelt_right words and of
    # every word one letter shorter than them (330,000 forms in 2.6 MB instead of 35 MB of strings)
    _long: list[np.ndarray] = field(default_factory=list, compare=False, repr=False)
    # built on first use (`_gram_odds`): log-odds of each character 2- to 4-gram, names against words
    _grams: list[dict[str, float]] = field(default_factory=list, compare=False, repr=False)
    _shape: dict[str, bool | None] = field(default_factory=dict, compare=False, repr=False)  # `wordlike`'s answers

    @classmethod
    def build(cls, clinical_terms: frozenset[str], places: frozenset[str]) -> Vocabulary:
        census_first, census_last = census_names()
        first, last = known_names()
        drugs, never_names = drug_words(), not_names()
        any_names = census_first | census_last | philter_first_names() | philter_last_names()
        everyday = (clinical_terms | drugs | common_english_words() | STOP) - any_names
        return cls(
            clinical_terms=clinical_terms, places=places,
            # "United States", "Ohio": never "Washington" (a listed city) or "New York" (GeoNames: New York City)
            wide_places=countries_and_states() - places - {"new york"},
            not_names=never_names,
            any_names=any_names,
            first_names=first, last_names=last, drugs=drugs,
            known_words=english_words() | drugs | never_names | clinical_terms | STOP | EDGE_WORDS,
            everyday=everyday,
            spelt_right=frozenset(w for w in everyday if len(w) >= MISSPELT_MIN - 1 and w.isalpha()),
        )  # fmt: skip

    def common(self, word: str, names: frozenset[str]) -> bool:
        """An everyday word (Philter's not-a-name list, or a stop word) that `names` does not hold."""
        w = word.lower().removesuffix("'s")
        return (w in self.not_names or w in STOP) and w not in names

    def misspelt(self, word: str) -> bool:
        """A misspelling of a known word: MISSPELT_MIN letters or more, no list (names included)
        holds it, and one edit (a letter added, dropped or changed, or two neighbours swapped) makes
        an everyday word of six letters or more ("amniodarone", "recieved", "improvment"). From
        LONG_MISSPELT_MIN letters, also one edit and then one letter dropped from each of the two
        words (two or three edits in all) meeting an everyday word of eight letters or more
        ("imtermittant", "nitroglercerine")."""
        w = word.lower()
        if len(w) < MISSPELT_MIN or not w.isalpha() or w in self.known_words or w in self.any_names:
            return False
        edits = _one_edit(w)
        if not self.spelt_right.isdisjoint(edits):
            return True
        if len(w) < LONG_MISSPELT_MIN:
            return False
        forms = self._long_forms()
        asked = np.fromiter({hash(d) for e in edits for d in _drops(e)}, dtype=np.int64)
        at = np.searchsorted(forms, asked).clip(max=len(forms) - 1)
        return bool((forms[at] == asked).any())

    def _long_forms(self) -> np.ndarray:
        if not self._long:  # two threads may both build it; each builds the same
            hashes = {hash(d) for w in self.spelt_right if len(w) >= LONG_MISSPELT_MIN - 2 for d in _drops(w)}
            self._long.append(np.fromiter(sorted(hashes), dtype=np.int64, count=len(hashes)))
        return self._long[0]

    def spelling(self, word: str) -> bool | None:
        """True for a misspelt word (`misspelt`), False for an everyday word ("received",
        "comfort"), None for any other (a name, a rare word, or a word no list knows)."""
        return _remembered(self._spelt, word.lower(),
                           lambda w: False if w in self.everyday else True if self.misspelt(w) else None)

    def _gram_odds(self) -> dict[str, float]:
        if not self._grams:  # two threads may both build it; each builds the same (about 2 s)
            names = {w for w in self.any_names if len(w) >= 3 and w.isalpha()}
            words = {w for w in self.known_words if len(w) >= 3 and w.isalpha()} - names
            n, o = (Counter(g for w in group for g in _char_grams(w)) for group in (names, words))
            seen = n.keys() | o.keys()
            n_total, o_total = n.total() + 0.5 * len(seen), o.total() + 0.5 * len(seen)
            self._grams.append({g: math.log((n[g] + 0.5) / n_total) - math.log((o[g] + 0.5) / o_total) for g in seen})
        return self._grams[0]

    def nameness(self, word: str) -> float:
        """How much the letters of `word` look like a name's rather than another word's: the mean
        log-odds of its character 2- to 4-grams (with the word's start and end marked) between the
        name lists and the lists of words that are not names. Learnt from the lists alone."""
        grams = _char_grams(word.lower())
        odds = self._gram_odds()
        return sum(odds.get(g, 0.0) for g in grams) / len(grams)

    def wordlike(self, word: str) -> bool | None:
        """True for a word that no list holds and whose letters look like a word, not a name
        (`nameness` below WORDLIKE_MAX: "Secreations", "Mgsulfate", "Nepro"); False for a word a
        list of non-names holds and no name list does ("sulfate", "secretions"); None for any other (a
        name-list word, a short one, or an unlisted word that may be a name: "Nomvula")."""
        return _remembered(self._shape, word.lower(),
                           lambda w: None if w in self.any_names else False if w in self.known_words
                           else True if len(w) >= 3 and self.nameness(w) < WORDLIKE_MAX else None)  # fmt: skip

    def knows(self, word: str) -> bool:
        """Whether a list of words that are not names on their own holds `word` (any case)."""
        return word.lower() in self.known_words

    def unknown(self, word: str) -> bool:
        """A capitalised word (not all caps) that no English, clinical or stop-word list knows."""
        return (len(word) >= 3 and word[0].isupper() and not word.isupper()
                and not any(p in self.known_words for p in word.lower().split("-") if p))  # fmt: skip
