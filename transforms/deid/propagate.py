"""Name passes over finished spans: a name found once in a note is masked wherever it recurs there (eponym
surnames where not used as eponyms), grown over initials and unknown words beside it, and cut
where it runs on into the next sentence."""

from __future__ import annotations

import regex
from spacy.lang.en.stop_words import STOP_WORDS

from transforms.deid.words import alternation, word_list
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
    word ("Mrs. Heart" ... "heart failure"); a surname that is a clinical eponym only where it is
    written the same way and not used as one (`_eponym_copies`)."""
    words, eponyms = set(), set()
    for s in spans:
        if s.entity_type == "PERSON" and s.score >= min_score:
            for w in NAME_WORD.findall(text[s.start : s.end]):
                w = w.removesuffix("'s")
                low = w.lower()
                if len(w) < 3 or not (any_case or w[0].isupper()) or low in _STOP_WORDS:
                    continue
                if low not in clinical_terms:
                    words.add(w)
                elif w.istitle():  # "Dr. Weber": a surname that is also an eponym
                    eponyms.add(w)
    low = text.lower()
    if len(low) != len(text):  # a letter whose lower case is two ("İ" unfolded): keep it as it is
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    found = _eponym_copies(text, low, eponyms)
    for w in words:
        lower_ok = w.lower() not in common_words
        for start in occurrences(low, w.lower()):
            end = start + len(w)
            if not lower_ok and text[start:end].islower():
                continue
            found.append(PhiSpan(start, end, "PERSON", 0.8))
    return found


# what follows an eponym used as one ("Weber test", "Murphy's sign", "Foley catheter", "Swan-Ganz"):
# words.yaml `eponym_next`, after an optional possessive, or a hyphen and a letter
_EPONYM_AFTER = regex.compile(r"(?:'s|s'|')?[ \t]+(?i:" + alternation(word_list("eponym_next")) + r")\b|-\p{L}")


def _eponym_copies(text: str, low: str, eponyms: set[str]) -> list[PhiSpan]:
    """Copies, written the same way, of a name word that is also a clinical eponym ("Dr. Weber" ...
    "early Weber"), except where the eponym is used as one ("Weber test", "Swan-Ganz") or written
    otherwise ("weber", "WEBER"): left unmasked, the surname would survive and the leak guard would
    quarantine the note."""
    found = []
    for w in eponyms:
        for start in occurrences(low, w.lower()):
            end = start + len(w)
            if text[start:end] == w and not _EPONYM_AFTER.match(text, end) and not (start and text[start - 1] == "-"):
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


# a word in a name, and the particles a surname may begin with ("Oska de Marneo", "Anke van der Berg")
_WORD = r"\p{L}+(?:['’-]\p{L}+)*"
_PARTICLE = "(?i:" + alternation(word_list("surname_particles")) + ")"
_NEXT_WORD = regex.compile(rf"[ \t]((?:{_PARTICLE}[ \t])*)({_WORD})(?![\p{{L}}\d'’-])")
_WORD_BEFORE = regex.compile(rf"(?<![\p{{L}}\d'’.-])({_WORD})[ \t]$")


def _case(word: str) -> str | None:
    return "upper" if word.isupper() else "title" if word[:1].isupper() and word[1:].islower() else None


def _strange(word: str, case: str | None, known: frozenset[str]) -> bool:
    """A word written in `case` (upper or title; lower-case notes are full of unknown misspellings)
    that no word list knows: three letters or more, a vowel ("MTG" is an abbreviation), no part of
    it known."""
    return (case is not None and len(word) >= 3 and _case(word) == case and any(c in "aeiouyAEIOUY" for c in word)
            and not any(p in known for p in regex.split(r"['’-]", word.lower()) if p))  # fmt: skip


def with_name_parts(text: str, spans: list[PhiSpan], known: frozenset[str]) -> list[PhiSpan]:
    """Name spans grown over the word beside them on the line when it is written in the same case
    and no word list (`known`: English, clinical, drug and stop words) knows it: the surname a
    tagger left out ("WENDA KORVALIS", "Orla Venjik"), the first name before a surname it kept
    ("TOMEK VRABELJ"), and the particles between ("OSKA DE MARNEO"). Otherwise the name's other half
    survives, readable, beside a surrogate."""
    out = list(spans)
    for s in spans:
        words = NAME_WORD.findall(text[s.start : s.end]) if s.entity_type == "PERSON" else []
        if not words:
            continue
        after = _NEXT_WORD.match(text, s.end)
        if after and _strange(after.group(2), _case(words[-1]), known):
            out.append(PhiSpan(s.start, after.end(), "PERSON", s.score))
        before = _WORD_BEFORE.search(text, max(0, s.start - 40), s.start)
        if before and _strange(before.group(1), _case(words[0]), known):
            out.append(PhiSpan(before.start(1), s.end, "PERSON", s.score))
    return out


_RUN_ON_TYPES = frozenset(("PERSON", "LOCATION", "ORGANIZATION"))
# capitalised words that begin a sentence and are never inside a name
# ("Her" is a Hmong surname, so not "her")
_SENTENCE_START = frozenset(("you", "the", "please", "i", "we", "he", "she", "they", "it", "my", "your", "our",
                             "their", "this", "that", "what", "who", "how", "why", "when", "where"))  # fmt: skip


def without_run_on(text: str, spans: list[PhiSpan], wide_places: frozenset[str]) -> list[PhiSpan]:
    """Spans that ran on into the next sentence where a writer left out the full stop end before
    it: a name before a capitalised pronoun, article or "Please" that is not its first word ("My
    name is Orla Please call"), as does an organisation or place that is such a name and those
    words ("Orla Please" beside the name "Orla"); a name or place before a country or US state of
    two words or more that ends it ("Orla Venjik United States was fun": `wide_places`, lower case;
    "Jordan" alone may be a surname, "North Carolina Hospitals" stays whole), which is no Safe
    Harbor identifier. A name that is only such a word ("You") is dropped. Else the leak guard
    finds those words elsewhere in the note, unmasked as they should be, and quarantines it."""
    names = {(s.start, s.end) for s in spans if s.entity_type == "PERSON"}
    out = []
    for s in spans:
        words = list(NAME_WORD.finditer(text, s.start, s.end)) if s.entity_type in _RUN_ON_TYPES else []
        cut = next((_end_before(text, w.start()) for w in words[1:] if w.group()[0].isupper() and (
            (w.group().lower() in _SENTENCE_START
             and (s.entity_type == "PERSON" or (s.start, _end_before(text, w.start())) in names))
            or (s.entity_type != "ORGANIZATION" and _wide_place_at(text, w.start(), wide_places) >= s.end))), None)  # fmt: skip
        if s.entity_type == "PERSON" and len(words) == 1 and words[0].group().lower() in _SENTENCE_START:
            continue  # "You" alone is nobody's name
        out.append(s if cut is None else PhiSpan(s.start, cut, s.entity_type, s.score))
    return out


def _end_before(text: str, i: int) -> int:
    """Where the words before `i` end (blanks and commas between left out)."""
    while i and text[i - 1] in " \t,":
        i -= 1
    return i


def _wide_place_at(text: str, start: int, wide_places: frozenset[str]) -> int:
    """The end of the country or US state of two to four words that begins at `start` (it may run
    past the span: "Venjik United" before "States"), or -1."""
    words = list(NAME_WORD.finditer(text[start : start + 60]))[:4]
    ends = [start + words[k - 1].end() for k in range(2, len(words) + 1)
            if " ".join(w.group().lower() for w in words[:k]) in wide_places]  # fmt: skip
    return max(ends, default=-1)


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
