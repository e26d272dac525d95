"""The NER-window pass: which stretches of a note spaCy NER reads, and the capitalised words no
list knows (PHI whether or not NER sees them).

spaCy NER is the de-identifier's slowest part and its noisiest on clinical language, so it reads
only about NER_CONTEXT characters either side of each capitalised word that could be a name or
place and that no pattern or list has already marked (spaCy's small English NER sees about four
tokens either side of a word: the windows give it the context it uses)."""

from __future__ import annotations

import regex

from transforms.deid.propagate import NAME_WORD
from transforms.deid.recognizers import mostly_upper, starts_clause
from transforms.deid.spans import blank_after, blank_before, coverage
from transforms.deid.tagger import EDGE_WORDS
from transforms.deid.vocabulary import STOP, Vocabulary
from transforms.records import PhiSpan

NER_CONTEXT = 24  # characters of context either side of a word spaCy NER is asked about


def ner_windows(text: str, spans: list[PhiSpan], vocab: Vocabulary) -> list[tuple[int, int]]:
    """(start, end) of the stretches of `text` (folded) that spaCy NER must read: about
    NER_CONTEXT characters either side of each word `asks_ner` admits, cut at blanks and merged
    where they meet. None in all-caps notes, where NER's output is never kept."""
    if mostly_upper(text):
        return []
    covered = coverage(text, spans)
    out: list[tuple[int, int]] = []
    for m in NAME_WORD.finditer(text):
        if not asks_ner(text, m, covered, vocab):
            continue
        lo, hi = blank_before(text, m.start() - NER_CONTEXT), blank_after(text, m.end() + NER_CONTEXT)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def unknown_words(text: str, spans: list[PhiSpan], vocab: Vocabulary) -> list[PhiSpan]:
    """Capitalised words (not all caps) that no English, clinical or stop-word list knows and
    nothing else marked: in a clinical note these are names of people, places and firms that no
    name list has and NER did not see ("Why is Mashuu so impulsive?"). Fail closed: they are
    PHI. The caller leaves all-caps notes out (every word there is capitalised)."""
    covered = coverage(text, spans)
    out = []
    for m in NAME_WORD.finditer(text):
        w = m.group(0).removesuffix("'s")
        if not any(covered[m.start() : m.end()]) and vocab.unknown(w):
            out.append(PhiSpan(m.start(), m.start() + len(w), "PERSON", 0.6))
    return out


def asks_ner(text: str, m: regex.Match, covered: bytearray, vocab: Vocabulary) -> bool:
    """Whether NER could add something about the word `m`: it is capitalised, not yet marked, and
    not a word NER's output filter would throw away or that is never PHI on its own."""
    w = m.group(0)
    low = w.lower().removesuffix("'s")
    if not w[0].isupper() or all(covered[m.start() : m.end()]):
        return False
    if low in STOP or low in vocab.clinical_terms or low in EDGE_WORDS or low in vocab.drugs:
        return False  # "The", "Foley", "Dr", "MRN", "Xanax": titles, roles, labels and drugs are not names
    if w.isupper() and len(w) <= 3:
        return False  # "LAD", "IJ", "TX": NER's filter drops short all-caps spans
    if vocab.unknown(w.removesuffix("'s")):
        return False  # no word list knows it: it is PHI anyway (`unknown_words`), NER or not
    if all((p in vocab.not_names and p not in vocab.any_names) or p in STOP for p in low.split("-") if p):
        # an everyday word opening a clause ("Denies"), in capitals ("PORTABLE CHEST") or before
        # a colon ("Accession:") is no name; mid-clause it may name a firm ("Summit Ridge")
        return not (starts_clause(text, m.start()) or w.isupper() or text.startswith(":", m.end()))
    return True
