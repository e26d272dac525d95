"""The word sets the de-identification passes read, gathered once per de-identifier: which words are
names (census and Philter lists), which are places, and which are never PHI on their own (English,
drugs, clinical terms, stop words, titles, labels). The passes (`tidy.py`, `windows.py`) take this
record instead of reaching into the de-identifier."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

from transforms.deid.names import census_names, known_names
from transforms.deid.tagger import EDGE_WORDS
from transforms.deid.words import word_list
from transforms.lexicons import (
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

    @classmethod
    def build(cls, clinical_terms: frozenset[str], places: frozenset[str]) -> Vocabulary:
        census_first, census_last = census_names()
        first, last = known_names()
        drugs, never_names = drug_words(), not_names()
        return cls(
            clinical_terms=clinical_terms, places=places,
            # "United States", "Ohio": never "Washington" (a listed city) or "New York" (GeoNames: New York City)
            wide_places=countries_and_states() - places - {"new york"},
            not_names=never_names,
            any_names=census_first | census_last | philter_first_names() | philter_last_names(),
            first_names=first, last_names=last, drugs=drugs,
            known_words=english_words() | drugs | never_names | clinical_terms | STOP | EDGE_WORDS,
        )  # fmt: skip

    def common(self, word: str, names: frozenset[str]) -> bool:
        """An everyday word (Philter's not-a-name list, or a stop word) that `names` does not hold."""
        w = word.lower().removesuffix("'s")
        return (w in self.not_names or w in STOP) and w not in names

    def unknown(self, word: str) -> bool:
        """A capitalised word (not all caps) that no English, clinical or stop-word list knows."""
        return (len(word) >= 3 and word[0].isupper() and not word.isupper()
                and not any(p in self.known_words for p in word.lower().split("-") if p))  # fmt: skip
