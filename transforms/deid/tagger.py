"""The trained PHI tagger: a linear-chain CRF (CRFsuite) over the tokens of a note, stacked on the
rules.

Rules keep what rules do best: identifiers, phones, e-mails, URLs, addresses, ZIP codes and ages
come from the declared patterns only. Names, places (locations and facilities) and dates are
decided by the tagger, which reads each token's words, shape and word-list memberships, its
neighbours, and the type the rules gave it. It was trained on real ICU nursing notes (PhysioNet
deid, surrogate PHI) and on the synthetic tuning splits, so it learns where the rules are right
(title-case names, written dates) and where they are not (clinical shorthand in all-caps notes,
"1/2" and "5/5", lower-case surnames). How the two combine, per span:

- a rule span of another type (ID, PHONE, ...) is always kept (fail closed);
- a rule NAME/PLACE span, or a DATE span of numbers alone that could be a ratio or a score
  ("1/2", "5/5", "10-12"), is kept unless the tagger is confident that every one of its tokens is
  not PHI (marginal P(O) >= `veto`); other rule dates are kept;
- every run of tokens the tagger labels NAME, PLACE or DATE is PHI, whatever the rules said.

Nothing here reads files: the caller opens the model (`open_tagger`) and passes the lexicon.
"""

from __future__ import annotations

import bisect
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import regex

from transforms.deid.spanclf import Candidate
from transforms.deid.words import word_list
from transforms.records import PhiSpan

BUILTIN_MODEL = Path(__file__).resolve().parent / "models" / "phi-tagger.crfsuite"  # `chartsift train-deid`
BUILTIN_SHA256_12 = "a96d02013b10"  # the shipped model's sha256, first 12 hex digits (a test checks it)
BUILTIN_SPANS_SHA256_12 = "248ad65fa2d7"  # the same of its span classifier (phi-tagger.spans.json)
LABELS = ("NAME", "PLACE", "DATE", "OTHER")
# gold types of every corpus (PhysioNet deid's own and Presidio's) onto the tagger's labels
GOLD_LABEL = {
    "PERSON": "NAME", "HCPName": "NAME", "PTName": "NAME", "PTNameInitial": "NAME", "RelativeProxyName": "NAME",
    "LOCATION": "PLACE", "ORGANIZATION": "PLACE", "Location": "PLACE",
    "DATE": "DATE", "DATE_TIME": "DATE", "Date": "DATE", "DateYear": "DATE",
}  # fmt: skip
# rule entity types as the tagger's features see them
RULE_LABEL = {"PERSON": "NAME", "LOCATION": "PLACE", "ORGANIZATION": "PLACE", "DATE": "DATE"}
DECIDED = frozenset(("NAME", "PLACE", "DATE"))  # labels the tagger decides; the rest stay with the rules
ENTITY = {"NAME": "PERSON", "PLACE": "LOCATION", "DATE": "DATE"}
# a candidate run is cut where its tokens' P(not PHI) crosses this (transforms.deid.tagger._split;
# nested CV on the PhysioNet half: 0.2, 0.5 and 0.9 and two cuts (0.1 and 0.5, 0.5 and 0.99) within
# 0.005 of each other, all better than uncut runs)
RUN_SPLIT = 0.5
_AMBIGUOUS_DATE = regex.compile(r"^\d{1,2}\s*[/\-]\s*\d{1,2}$")
_LETTERS = regex.compile(r"[^\W\d_]+(?:'s)?")
TOKEN = regex.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*|\S")
# role words and field labels never begin or end one of the tagger's runs ("04DEC2022   Accession")
EDGE_WORDS = word_list("role_words") | word_list("label_words")
# a section heading at a line's start ("SOCIAL:", "Neuro-", "GI/GU--", "Dispo:"): the section a token
# is in tells much (names of relatives under social, shorthand under neuro, resp and cv)
SECTION = regex.compile(r"(?m)^[ \t]*([A-Za-z][A-Za-z/&]{1,14})(?:[ \t]+[A-Za-z/&]{1,14})?[ \t]*(?::|-{1,2}|\u2013)")


@dataclass(frozen=True)
class Lexicon:
    """Word lists the features consult (lower case). `site_names` and `site_places` come from a
    site's own files (staff roster, wards, facilities and their abbreviations)."""

    first: frozenset[str] = frozenset()
    last: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    clinical: frozenset[str] = frozenset()
    drugs: frozenset[str] = frozenset()
    english: frozenset[str] = frozenset()
    stop: frozenset[str] = frozenset()
    site_names: frozenset[str] = frozenset()
    site_places: frozenset[str] = frozenset()
    # the features some model reads (the tagger's attributes, the classifier's first-token keys):
    # the others are left out of the notes' feature lists, which changes no score, as a model gives
    # an unknown feature no weight. None: every feature (training needs them all).
    read: frozenset[str] | None = None
    # each word's features, computed once per lexicon (`_word`)
    memo: dict[str, _WordFeatures] = field(default_factory=dict, compare=False, hash=False, repr=False)
    # _RULE_AT and _EDGE_AT as `read` leaves them (`_context`)
    context: dict[str, tuple] = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass
class TaggedNote:
    """One note's tokens and their features (and gold labels when training)."""

    tokens: list[tuple[int, int]]
    features: list[list[str]]
    labels: list[str] = field(default_factory=list)
    _ends: list[int] | None = field(default=None, repr=False, compare=False)

    def overlapping(self, start: int, end: int) -> range:
        """Indices of the tokens that overlap text[start:end] (tokens are sorted and disjoint)."""
        if self._ends is None:
            self._ends = [e for _, e in self.tokens]
        lo = bisect.bisect_right(self._ends, start)
        hi = lo
        while hi < len(self.tokens) and self.tokens[hi][0] < end:
            hi += 1
        return range(lo, hi)


def tokens(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in TOKEN.finditer(text)]


def _shape(w: str) -> str:
    out: list[str] = []
    for c in w:
        k = "X" if c.isupper() else "x" if c.isalpha() else "d" if c.isdigit() else c
        if len(out) < 2 or out[-1] != k or out[-2] != k:
            out.append(k)
    return "".join(out[:8])


# a word's features: its own, what the tokens up to three away read of it (by their offset from it
# + 3: "1:cap" and "1:w=..." on the token before it, "-1:..." on the one after), its lower case
_WordFeatures = tuple[list[str], tuple[tuple[str, ...], ...], str]


def _word(w: str, lex: Lexicon) -> _WordFeatures:
    """A token's own features, those it gives its neighbours and its lower-case form, computed once
    per word (shared: callers copy, never change them), less what no model reads (`Lexicon.read`)."""
    f = lex.memo.get(w)
    if f is None:
        if len(lex.memo) >= _MEMO_WORDS:
            lex.memo.clear()
        own = _word_features(w, lex)
        near = [x for x in own[1:] if not x.startswith(("s3=", "p3="))]
        # ctx[o + 3]: what the token o places after this word (o < 0: before it) reads of it, the
        # word at its offset -o ("-1:w=..."), and next to it also the near features ("-1:cap")
        ctx = [[f"{-o}:{own[0]}"] for o in range(-3, 4)]
        ctx[2] += [f"1:{x}" for x in near]
        ctx[4] += [f"-1:{x}" for x in near]
        read = lex.read
        if read is not None:
            own = [x for x in own if x in read]
            ctx = [[x for x in c if x in read] for c in ctx]
        f = lex.memo[w] = (own, tuple(tuple(c) for c in ctx), w.lower())
    return f


_MEMO_WORDS = 200_000


def _word_features(w: str, lex: Lexicon) -> list[str]:
    lo = w.lower()
    f = [f"w={lo}", f"sh={_shape(w)}", f"s3={lo[-3:]}", f"p3={lo[:3]}"]
    if w[0].isupper():
        f.append("cap")
    if w.isupper() and len(w) > 1:
        f.append("upper")
    if w.isdigit():
        f.append(f"num{min(len(w), 5)}")
    for flag, words in (("first", lex.first), ("last", lex.last), ("place", lex.places), ("clin", lex.clinical),
                        ("drug", lex.drugs), ("eng", lex.english), ("stop", lex.stop),
                        ("site_name", lex.site_names), ("site_place", lex.site_places)):  # fmt: skip
        if lo in words:
            f.append(flag)
    return f


def featurize(text: str, rule_spans: Iterable[PhiSpan], lex: Lexicon, caps_note: bool) -> TaggedNote:
    """Tokens of `text` (as the rules read it: folded) and one feature list per token."""
    toks = tokens(text)
    rule = ["-"] * len(toks)
    strength = [""] * len(toks)
    spans = sorted(rule_spans, key=lambda s: s.start)
    j = 0
    for i, (s, e) in enumerate(toks):
        while j < len(spans) and spans[j].end <= s:
            j += 1
        if j < len(spans) and spans[j].start < e:
            t = RULE_LABEL.get(spans[j].entity_type, "ID")
            rule[i] = ("B-" if spans[j].start >= s else "I-") + t
            strength[i] = f"rs={t}{spans[j].score:.2f}"  # which kind of rule: lists 0.6, NER 0.85, patterns...
    memo = [_word(text[s:e], lex) for s, e in toks]
    read = _readable(lex)
    rule_at, edge_at, always = _context(lex)
    heads = [(m.start(), m.group(1).lower()) for m in SECTION.finditer(text)]
    feats: list[list[str]] = []
    n = len(toks)
    h, section, sec = 0, "-", ("sec=-",) if "sec=-" in read else ()
    for i, (s, _e) in enumerate(toks):
        while h < len(heads) and heads[h][0] <= s:
            section = heads[h][1]
            sec = (f"sec={section}",)
            if sec[0] not in read:
                sec = ()
            h += 1
        own, _, word = memo[i]
        r = rule[i]
        f = [*always["bias"], *rule_at[0][r], *sec, *own]
        if r != "-":
            x = f"sr={section}|{r}"
            if x in read:
                f.append(x)
        if strength[i] and strength[i] in read:
            f.append(strength[i])
        if caps_note:
            f += always["capsnote"]
        if not i or "\n" in text[toks[i - 1][1] : s]:
            f += always["line_start"]
        for d in (-3, -2, -1, 1, 2, 3):
            k = i + d
            if 0 <= k < n:
                f += rule_at[d][rule[k]]
                f += memo[k][1][3 - d]
            else:
                f += edge_at[d]
        if i:
            x = f"bi={memo[i - 1][2]}|{word}"
            if x in read:
                f.append(x)
        feats.append(f)
    return TaggedNote(toks, feats)


# "r=B-NAME", "-1:r=B-NAME", "2:edge": the token's or a neighbour's rule label, or the note's edge, as token features
_RULE_AT = {d: {lab: f"{d}:r={lab}" if d else f"r={lab}"
                for lab in ("-", *(f"{b}-{t}" for b in "BI" for t in ("NAME", "PLACE", "DATE", "ID")))}
            for d in range(-3, 4)}  # fmt: skip
_EDGE_AT = {d: f"{d}:edge" for d in (-3, -2, -1, 1, 2, 3)}


class _EveryFeature:
    """What `Lexicon.read` None stands for: every feature is read (training)."""

    def __contains__(self, feature: object) -> bool:
        return True


_EVERY_FEATURE = _EveryFeature()


def _readable(lex: Lexicon) -> Container[str]:
    """The features `lex` keeps, as a container (`x in ...`) even when it keeps them all."""
    return _EVERY_FEATURE if lex.read is None else lex.read


def _context(lex: Lexicon) -> tuple:
    """_RULE_AT, _EDGE_AT and the constant features as tuples of what `lex.read` keeps (once per lexicon)."""
    c = lex.context.get("at")
    if c is None:
        read = _readable(lex)

        def kept(x: str) -> tuple[str, ...]:
            return (x,) if x in read else ()

        c = lex.context["at"] = ({d: {lab: kept(x) for lab, x in at.items()} for d, at in _RULE_AT.items()},
                                 {d: kept(x) for d, x in _EDGE_AT.items()},
                                 {x: kept(x) for x in ("bias", "capsnote", "line_start")})  # fmt: skip
    return c


def gold_labels(toks: list[tuple[int, int]], gold: Iterable[dict]) -> list[str]:
    """BIO labels of the tokens from gold spans (any corpus's types, see GOLD_LABEL)."""
    labels = ["O"] * len(toks)
    for g in sorted(gold, key=lambda g: g["start"]):
        lab = GOLD_LABEL.get(g["type"], "OTHER")
        first = True
        for i, (s, e) in enumerate(toks):
            if s < g["end"] and e > g["start"]:
                labels[i] = ("B-" if first else "I-") + lab
                first = False
    return labels


def combine(text: str, note: TaggedNote, predicted: list[str], p_outside: list[float], rule_spans: list[PhiSpan],
            veto: float, never: frozenset[str] = frozenset()) -> list[PhiSpan]:  # fmt: skip
    """The final spans of a note: rule spans (less the tagger's confident vetoes of NAME, PLACE and
    DATE spans) plus the tagger's own NAME, PLACE and DATE runs."""
    return _rules_kept(text, note, p_outside, rule_spans, veto) + _run_spans(text, note, predicted, never)


def _run_spans(text: str, note: TaggedNote, predicted: list[str], never: frozenset[str],
               p_outside: list[float] | None = None) -> list[PhiSpan]:  # fmt: skip
    """The tagger's own runs, trimmed, less those of clinical words only; with `p_outside`, each run
    first cut where the tagger's confidence changes (`_split`: candidate mode)."""
    out = []
    for run in _runs(note, predicted):
        for part in _split(note, run, p_outside) if p_outside is not None else (run,):
            part = _trim(text, note, part)
            if part is not None and not _clinical(text, part, never):
                out.append(part)
    return out


def _rules_kept(text: str, note: TaggedNote, p_outside: list[float], rule_spans: list[PhiSpan],
                veto: float) -> list[PhiSpan]:  # fmt: skip
    """The rule spans `combine` keeps: all but the NAME, PLACE and ambiguous DATE spans the tagger
    vetoes."""
    out: list[PhiSpan] = []
    for sp in rule_spans:
        lab = RULE_LABEL.get(sp.entity_type)
        if lab is None:
            out.append(sp)
            continue
        if lab == "DATE" and not _AMBIGUOUS_DATE.match(text[sp.start : sp.end]):
            out.append(sp)  # a month name or a full year: the rules are right, only "1/2" or "5/5" is in doubt
            continue
        inside = note.overlapping(sp.start, sp.end)
        if inside and min(p_outside[i] for i in inside) >= veto:
            continue
        out.append(sp)
    return out


def _clinical(text: str, run: PhiSpan, never: frozenset[str]) -> bool:
    """"Parkinson's", "Foley", "Levo": clinical words are never the tagger's names or places."""
    words = [w.lower().removesuffix("'s") for w in _LETTERS.findall(text[run.start : run.end])]
    return run.entity_type != "DATE" and bool(words) and all(w in never for w in words)


def _split(note: TaggedNote, run: PhiSpan, p_outside: list[float], cut: float = RUN_SPLIT) -> list[PhiSpan]:
    """A run cut where the tagger's confidence changes: its tokens with P(not PHI) below `cut` (the
    core) and those at or above it (the fringe) make separate candidates, so "MORROW" and "MADE
    AWARE" after it are decided one by one instead of kept or dropped together."""
    inside = note.overlapping(run.start, run.end)
    if not inside or note.tokens[inside[0]][0] < run.start or note.tokens[inside[-1]][1] > run.end:
        return [run]  # a span that cuts a token (a rule's) stays whole
    out: list[PhiSpan] = []
    start = 0
    for k in range(1, len(inside) + 1):
        if k == len(inside) or (p_outside[inside[k]] < cut) != (p_outside[inside[start]] < cut):
            out.append(PhiSpan(note.tokens[inside[start]][0], note.tokens[inside[k - 1]][1], run.entity_type, run.score))
            start = k
    return out


def _trim(text: str, note: TaggedNote, run: PhiSpan) -> PhiSpan | None:
    """`run` without the role words, labels and punctuation at its edges (None when nothing is left)."""
    toks = [note.tokens[i] for i in note.overlapping(run.start, run.end)
            if run.start <= note.tokens[i][0] and note.tokens[i][1] <= run.end]  # fmt: skip
    keep = [(s, e) for s, e in toks if text[s:e].isalnum() or "'" in text[s:e]]

    def edge(t: tuple[int, int]) -> bool:
        return text[t[0] : t[1]].lower() in EDGE_WORDS

    while keep and edge(keep[0]):
        keep.pop(0)
    while keep and edge(keep[-1]):
        keep.pop()
    if not keep:
        return None
    start = run.start if keep[0] == toks[0] else keep[0][0]
    end = run.end if keep[-1] == toks[-1] else keep[-1][1]
    return run if (start, end) == (run.start, run.end) else PhiSpan(start, end, run.entity_type, run.score)


def _runs(note: TaggedNote, predicted: list[str]) -> Iterator[PhiSpan]:
    """Spans of consecutive tokens with the same decided label (B- and I- alike)."""
    start = end = None
    kind = None
    for (s, e), lab in zip(note.tokens, predicted, strict=True):
        tag = lab[2:] if lab != "O" else None
        if tag in DECIDED and kind == tag and start is not None:
            end = e
            continue
        if start is not None:
            yield PhiSpan(start, end, ENTITY[kind], 0.85)  # type: ignore[index]
            start = None
        if tag in DECIDED:
            start, end, kind = s, e, tag
    if start is not None:
        yield PhiSpan(start, end, ENTITY[kind], 0.85)  # type: ignore[index]


class PhiTagger:
    """A trained CRFsuite model, opened once per process (pycrfsuite is imported here only)."""

    def __init__(self, model_path: str, veto: float = 0.9, threshold: float = 0.9, never: frozenset[str] = frozenset()):
        import pycrfsuite

        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(model_path)
        self.veto = veto
        self.threshold = threshold
        self.never = never  # words (lower case) that are never a name or place on their own
        self._labels = [x for x in self._tagger.labels() if x != "O"]

    def attributes(self) -> frozenset[str]:
        """The features the model gives a weight (any other feature changes no marginal)."""
        return frozenset(a for a, _ in self._tagger.info().state_features)

    def tag(self, note: TaggedNote) -> tuple[list[str], list[float]]:
        """Per token: its most likely PHI label when P(not PHI) < threshold (recall over the
        single best path), else O; and P(not PHI) itself."""
        if not note.tokens:
            return [], []
        t = self._tagger
        t.set(note.features)
        marginal, labels, threshold = t.marginal, self._labels, self.threshold
        predicted, p_out = [], []
        for i in range(len(note.tokens)):
            p = marginal("O", i)
            p_out.append(p)
            best = "O"
            if p < threshold:  # the other labels' marginals only where the token may be PHI
                top = -1.0
                for lab in labels:  # the first most likely, as max() would pick
                    q = marginal(lab, i)
                    if q > top:
                        best, top = lab, q
            predicted.append(best)
        return predicted, p_out

    def refine(self, text: str, note: TaggedNote, rule_spans: list[PhiSpan]) -> list[PhiSpan]:
        predicted, p_out = self.tag(note)
        return combine(text, note, predicted, p_out, rule_spans, self.veto, self.never)

    def candidates(self, text: str, note: TaggedNote, rule_spans: list[PhiSpan]) -> list[Candidate]:
        """Every span `refine` would keep with no veto at this tagger's threshold, with what the span
        classifier (transforms.deid.spanclf) reads of it."""
        predicted, p_out = self.tag(note)
        spans = _rules_kept(text, note, p_out, rule_spans, 1.0) + _run_spans(text, note, predicted, self.never, p_out)
        out = []
        for sp in spans:
            inside = note.overlapping(sp.start, sp.end)
            first, last = (inside[0], inside[-1]) if inside else (0, -1)
            out.append(Candidate(sp, [p_out[i] for i in inside], [predicted[i] for i in inside],
                                 [(r.entity_type, r.score) for r in rule_spans if r.start < sp.end and r.end > sp.start],
                                 note.features[first] if inside else [], _token(text, note, first - 1),
                                 _token(text, note, last + 1)))  # fmt: skip
        return out


def _token(text: str, note: TaggedNote, k: int) -> str:
    """Token k of the note in lower case ("<edge>" past either end)."""
    return text[note.tokens[k][0] : note.tokens[k][1]].lower() if 0 <= k < len(note.tokens) else "<edge>"
