"""The tidy pass: detections from the patterns, the lists and spaCy NER cut to what is PHI.

- `tidy` trims what is not part of a name or place from a span's edges (a possessive, a role word,
  a field label, a trailing state) and drops a span that is only such words;
- `filter_ner` keeps the NER spans that look like a name or place (`plausible_ner`), judging each
  line of a span that runs across line breaks on its own.
"""

from __future__ import annotations

import regex
from presidio_analyzer import RecognizerResult

from transforms.deid.propagate import NAME_WORD
from transforms.deid.recognizers import mostly_upper, starts_clause
from transforms.deid.spans import trimmed
from transforms.deid.tagger import EDGE_WORDS
from transforms.deid.vocabulary import LABEL_WORDS, PLACE_CUES, ROLE_WORDS, STOP, Vocabulary
from transforms.records import PhiSpan

_STATE_TAIL = regex.compile(r",[ \t]*(?:AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY)$")
_TITLE_BEFORE = regex.compile(r"\b(?i:dr|mr|mrs|ms|mx|miss|prof)\.?[ \t]+$")  # titles that never end a sentence


def tidy(text: str, span: PhiSpan, ner: bool, vocab: Vocabulary) -> PhiSpan | None:
    """Trim what is not part of a name from the edges of a PERSON span: a possessive "'s", a
    trailing word no name list has ("ANH BERG VISITED", "Nguyen, Lakshmi   MR") and, for NER
    spans, a leading role word ("Husband Donna", "Dr Adeyemi"); a label from an ORG or place
    ("Receiving: Bayside Hospital"). A word goes only if Philter lists it as not a name (or it
    is a stop word) and no name list has it in that position. None: nothing of it is PHI."""
    words = list(NAME_WORD.finditer(text, span.start, span.end))
    if not words:
        return span
    if span.entity_type in ("ORGANIZATION", "LOCATION"):
        return _tidy_place(text, span, words, ner, vocab)
    if span.entity_type != "PERSON":
        return span
    return _tidy_person(text, span, words, ner, vocab)


def _tidy_place(text: str, span: PhiSpan, words: list[regex.Match], ner: bool, vocab: Vocabulary) -> PhiSpan | None:
    lo, hi = 0, len(words)
    while hi - lo > 1 and (text.startswith(":", words[lo].end()) or words[lo].group(0).lower() in LABEL_WORDS):
        lo += 1
    while hi - lo > 1 and words[hi - 1].group(0).lower() in LABEL_WORDS:
        hi -= 1
    if ner and hi - lo == 1 and words[lo].group(0).lower() in LABEL_WORDS:
        return None  # "Reason" alone
    state = _STATE_TAIL.search(text, span.start, span.end)
    if state and hi == len(words) and hi - lo > 1:  # "Terre Haute, IN": a state is not PHI
        hi -= 1
    if span.entity_type == "LOCATION":
        lo = place_start(text, words, lo, hi, vocab.places)
    out = trimmed(span, words, lo, hi)
    name = text[out.start : out.end].lower().removeprefix("the ").rstrip(".")
    if name in vocab.wide_places:
        return None  # a country or a US state is not a Safe Harbor identifier
    return out


def _tidy_person(text: str, span: PhiSpan, words: list[regex.Match], ner: bool, vocab: Vocabulary) -> PhiSpan | None:
    lo, hi = 0, len(words)
    # in upper-case text every word looks like a name: judge the edge words as NER's
    guess = ner or text[span.start : span.end].isupper()
    if "," not in text[span.start : span.end]:  # "Two Feathers, Anh": the surname leads
        lead_names = vocab.first_names if ner else vocab.any_names
        while hi - lo > 1 and (words[lo].group(0).lower() in ROLE_WORDS
                               or (guess and vocab.common(words[lo].group(0), lead_names))):  # fmt: skip
            lo += 1
    while hi - lo > 1 and (vocab.common(words[hi - 1].group(0), vocab.any_names)
                           or words[hi - 1].group(0).lower() in EDGE_WORDS):  # fmt: skip
        hi -= 1
    if hi - lo == 1:
        w = words[lo].group(0)
        if w.lower() in EDGE_WORDS or (not ner and vocab.common(w, vocab.any_names)
                                       and not _TITLE_BEFORE.search(text, max(0, words[lo].start() - 8), words[lo].start())):
            return None  # "CCU RN", "RN NOTE"; but right after "Dr." or "Mrs." a word is a name ("Dr. Muris")
        if ner and vocab.common(w, vocab.first_names) and starts_clause(text, words[lo].start()):
            return None  # "Caller verbalized understanding"
    out = trimmed(span, words, lo, hi)
    if text[out.start : out.end].endswith(("'s", "\u2019s")):
        out = PhiSpan(out.start, out.end - 2, out.entity_type, out.score)
    return out


def place_start(text: str, words: list[regex.Match], lo: int, hi: int, places: frozenset[str]) -> int:
    """In capitals a city pattern takes in the words before the city ("SENT HOME TO ESPANOLA, NM"):
    the span then starts after its last "to", "in", "from"... when what follows is a listed
    place and the whole is not ("LAKE IN THE HILLS" is listed and stays whole; an unlisted town
    keeps every word, as does "PORT ST. LUCIE", which has no such word)."""
    if hi - lo < 2 or text[words[lo].start() : words[hi - 1].end()].lower() in places:
        return lo
    for a in range(hi - 2, lo - 1, -1):
        if words[a].group(0).lower() in PLACE_CUES:
            rest = text[words[a + 1].start() : words[hi - 1].end()].lower()
            return a + 1 if rest in places else lo
    return lo


def filter_ner(text: str, results: list[RecognizerResult], vocab: Vocabulary, score_threshold: float) -> list[PhiSpan]:
    """The NER results worth keeping, as spans; spaCy joins across line breaks ("Kang,
    Tyrone\\nIndication"), so each line's part of a result is judged alone."""
    upper_note = mostly_upper(text)
    out = []
    for r in results:
        if r.score < score_threshold:
            continue
        start = r.start
        for part in text[r.start : r.end].split("\n"):
            piece = RecognizerResult(r.entity_type, start, start + len(part), r.score)
            stripped = part.strip()
            if stripped and plausible_ner(text, piece, upper_note, vocab):
                lead = len(part) - len(part.lstrip())
                out.append(PhiSpan(start + lead, start + lead + len(stripped), r.entity_type, r.score))
            start += len(part) + 1
    return out


def plausible_ner(text: str, r: RecognizerResult, upper_note: bool, vocab: Vocabulary) -> bool:
    """spaCy's small English model mislabels clinical language; keep an NER span only if it
    looks like a name or place: not in an all-caps note (NER is noise there, patterns cover
    it), not an acronym, capitalised, and free of clinical terms and stop words alone."""
    if upper_note:
        return False
    span = text[r.start : r.end]
    words = NAME_WORD.findall(span)
    if not words or any(c.isdigit() for c in span):  # "4/6/2022    MRN": names and places have no digits
        return False
    if span.isupper() and len(span.replace(" ", "")) <= 5:
        return False
    lowered = [w.lower().removesuffix("'s") for w in words]
    if any(w in vocab.clinical_terms for w in lowered):
        return False
    if all(w in STOP for w in lowered) or all(w in vocab.drugs for w in lowered):
        return False  # "The", "Xanax", "Solu-Medrol"
    if r.entity_type == "PERSON" and len(words) == 1 and starts_clause(text, r.start):
        # "Emphysema." / "Oxygen weaned": a lone capitalised word opening a clause is a name
        # only if the census lists know it
        if lowered[0] not in vocab.first_names and lowered[0] not in vocab.last_names:
            return False
    return all(w[0].isupper() for w in words)
