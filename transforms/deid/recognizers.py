"""Build Presidio recognizers from declared pattern data (recognizers.yaml and site files)."""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import regex
import yaml
from presidio_analyzer import EntityRecognizer, RecognizerResult

ENTITIES = (
    "PERSON", "DATE", "AGE", "PHONE", "EMAIL", "URL", "IP_ADDRESS", "SSN", "MRN", "ID",
    "ADDRESS", "LOCATION", "ZIP", "ORGANIZATION",
)  # fmt: skip

_HERE = Path(__file__).parent
_FLAG_NAMES = {"ignorecase": regex.IGNORECASE, "multiline": regex.MULTILINE}


# letters that carry no combining mark to strip, each folded to ONE ASCII letter (offsets must hold)
_FOLD_SPECIAL = {"ß": "s", "æ": "a", "Æ": "A", "þ": "t", "Þ": "T", "ð": "d", "Ð": "D", "ø": "o", "Ø": "O",
                 "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "œ": "o", "Œ": "O", "ı": "i", "ħ": "h", "Ħ": "H",
                 "\u2019": "'", "\u2018": "'", "\u02bc": "'"}  # fmt: skip


class _FoldTable(dict):
    """str.translate table, filled on first sight of each character: a Latin letter with
    diacritics becomes its base letter in the same case ("é" -> "e", "Ž" -> "Z"); curly
    apostrophes become "'"; everything else maps to itself."""

    def __missing__(self, code: int) -> int:
        c = chr(code)
        out = _FOLD_SPECIAL.get(c)
        if out is None:
            parts = unicodedata.normalize("NFKD", c)
            base = parts[0]
            out = base if (base.isascii() and base.isalpha() and len(parts) > 1
                           and all(unicodedata.combining(p) for p in parts[1:])) else c  # fmt: skip
        self[code] = ord(out)
        return self[code]


_FOLD = _FoldTable()


def fold_text(text: str) -> str:
    """`text` with Latin diacritics removed, one character for one, so offsets into the folded text
    are offsets into the original. The name lists, place lists and patterns are ASCII: folding lets
    "José Hernández", "ŽILKOVÁ" and "Þórðarson" meet them as "Jose Hernandez", "ZILKOVA" and
    "Tordarson"."""
    return text if text.isascii() else text.translate(_FOLD)


@dataclass(frozen=True)
class PatternSpec:
    name: str
    entity: str
    regex: str
    score: float
    group: int = 0
    flags: tuple[str, ...] = ("ignorecase",)
    deny_context: str | None = None
    requires: str | None = None  # a cheap regex the text must contain for the pattern to be tried
    # True when no match crosses a line break: then the pattern is tried only on the lines where
    # `requires` matches (the anchor must lie on the match's line, as a name before "DOB" does)
    line: bool = False
    # True for the packaged patterns: an ASCII text is first scanned once for all of them at once
    # (`_gate_database`), and a pattern that cannot match anywhere in it is not run. Site patterns are always
    # run: the gate reads PCRE syntax, which differs from `regex` in corners a site file may use.
    gated: bool = False


def _expand(pattern: str, macros: dict[str, str]) -> str:
    for key, value in macros.items():
        pattern = pattern.replace("{" + key + "}", value)
    return pattern


def load_pattern_specs(extra_files: tuple[str, ...] = ()) -> list[PatternSpec]:
    """The packaged patterns plus any site files; a site file may reuse the packaged macros."""
    base = yaml.safe_load((_HERE / "recognizers.yaml").read_text())
    docs = [base] + [yaml.safe_load(Path(f).read_text()) for f in extra_files]
    macros: dict[str, str] = {}
    specs: list[PatternSpec] = []
    for n, doc in enumerate(docs):
        macros.update(doc.get("macros") or {})
        for p in doc.get("patterns") or []:
            if p["entity"] not in ENTITIES:
                raise ValueError(f"pattern {p['name']!r}: unknown entity {p['entity']!r}")
            if p.get("line") and not p.get("requires"):
                raise ValueError(f"pattern {p['name']!r}: 'line' needs 'requires' (the lines to try)")
            specs.append(
                PatternSpec(
                    name=p["name"],
                    entity=p["entity"],
                    regex=_expand(p["regex"], macros),
                    score=float(p["score"]),
                    group=int(p.get("group", 0)),
                    flags=tuple(p.get("flags", ["ignorecase"])),
                    deny_context=_expand(p["deny_context"], macros) if p.get("deny_context") else None,
                    requires=_expand(p["requires"], macros) if p.get("requires") else None,
                    line=bool(p.get("line", False)),
                    gated=n == 0,
                )
            )
    return specs


_UPPER = regex.compile(r"\p{Lu}")
_LOWER = regex.compile(r"\p{Ll}")


@lru_cache(maxsize=256)
def mostly_upper(text: str) -> bool:
    """All-caps text (terse ICU nursing notes): more than 70 % of the cased letters are capitals
    (asked of each note and its pieces by several steps of a batch: cached)."""
    upper, lower = len(_UPPER.findall(text)), len(_LOWER.findall(text))
    return upper + lower > 0 and upper / (upper + lower) > 0.7


def starts_clause(text: str, start: int, marks: str = ".\n:;!?-|") -> bool:
    """True when only blanks separate `start` from the start of `text` or from one of `marks`."""
    before = text[:start].rstrip(" \t")
    return not before or before[-1] in marks


def load_clinical_terms(extra_files: tuple[str, ...] = ()) -> frozenset[str]:
    base = yaml.safe_load((_HERE / "clinical_terms.yaml").read_text())
    terms = set(base["terms"])
    for f in extra_files:
        terms.update(yaml.safe_load(Path(f).read_text())["terms"])
    return frozenset(str(t).lower() for t in terms)


class ClinicalPatternRecognizer(EntityRecognizer):
    """Regex recognizer over declared specs: capture groups, case flags and deny contexts.

    Presidio's PatternRecognizer marks whole matches only; labelled identifiers ("MRN: 123") need
    the value alone, so this recognizer reports `group`. One Hyperscan pass over an ASCII note
    first rules out the packaged patterns (and `requires` anchors) that match nowhere in it
    (`_gate_database`); `gate=False` runs every pattern (tests compare the two).
    """

    def __init__(self, specs: list[PatternSpec], gate: bool = True):
        self._compiled = []
        for s in specs:
            flags = 0
            for f in s.flags:
                flags |= _FLAG_NAMES[f]
            deny = regex.compile(s.deny_context) if s.deny_context else None
            need = regex.compile(s.requires) if s.requires else None
            self._compiled.append((s, regex.compile(s.regex, flags), deny, need))
        # the gate's expressions: each gated pattern and its `requires` (ids: `_gate_ids`); None = every pattern runs
        gated = tuple((_gate_ids(k)[j], e, "ignorecase" in s.flags and j == 0) for k, s in enumerate(specs)
                      if s.gated for j, e in enumerate((s.regex, s.requires)) if e)  # fmt: skip
        self._gate = _gate_database(gated) if gate and gated else None
        entities = sorted({s.entity for s in specs})
        super().__init__(supported_entities=entities, name="chartsift_patterns", supported_language="en")

    def load(self) -> None:  # nothing to load
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001 - Presidio's signature
        results = []
        wanted = set(entities) if entities else None
        ruled_out = _ruled_out(self._gate, text)
        for k, (spec, rx, deny, need) in enumerate(self._compiled):
            if wanted is not None and spec.entity not in wanted:
                continue
            if not ruled_out.isdisjoint(_gate_ids(k)):  # the pattern, or its `requires`, cannot match
                continue
            if need is None:
                regions = [(0, len(text))]
            elif spec.line:
                regions = _lines_with(need, text)
            else:
                regions = [(0, len(text))] if need.search(text) else []
            for lo, hi in regions:
                for m in rx.finditer(text, lo, hi):
                    start, end = m.span(spec.group)
                    if start < 0 or end <= start:
                        continue
                    if deny is not None and deny.search(text[max(0, start - 24) : start]):
                        continue
                    results.append(RecognizerResult(spec.entity, start, end, spec.score))
        return results


def _gate_ids(k: int) -> tuple[int, int]:
    """The gate's ids of pattern k's regex and of its `requires` anchor."""
    return 2 * k, 2 * k + 1


@dataclass(frozen=True)
class _Gate:
    database: Any  # hyperscan.Database
    ids: frozenset[int]  # the expressions it holds
    scratch: threading.local  # a scan needs scratch space of its own in each thread


@lru_cache(maxsize=8)
def _gate_database(expressions: tuple[tuple[int, str, bool], ...]) -> _Gate | None:
    """A Hyperscan database of (id, regex, ignore case) in prefilter mode and the ids it holds (an
    expression Hyperscan refuses is left out, and its pattern always runs), or None without
    Hyperscan. Prefilter mode approximates what Hyperscan cannot run exactly (lookarounds,
    back-references) by something that matches MORE, never less, and multi-line anchors let `^` and
    `$` match at every line break (where a `line` pattern's region ends): so "no match" from it
    means the pattern cannot match. Compiling takes a second or two: once per process and pattern set."""
    try:
        import hyperscan
    except ImportError:  # pragma: no cover - a declared dependency; without it nothing is skipped
        return None
    base = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY | hyperscan.HS_FLAG_MULTILINE

    def compiled(chosen: list[tuple[int, str, bool]]) -> Any:
        db = hyperscan.Database()
        db.compile(expressions=[e.encode() for _, e, _ in chosen], ids=[i for i, _, _ in chosen], elements=len(chosen),
                   flags=[base | (hyperscan.HS_FLAG_CASELESS if ci else 0) for _, _, ci in chosen])  # fmt: skip
        return db

    def accepted(expression: tuple[int, str, bool]) -> bool:
        try:
            compiled([expression])
        except Exception:  # noqa: BLE001 - Hyperscan's own error type
            return False
        return True

    try:
        kept = list(expressions)
        database = compiled(kept)
    except Exception:  # noqa: BLE001
        kept = [x for x in expressions if accepted(x)]
        if not kept:
            return None
        database = compiled(kept)
    return _Gate(database, frozenset(i for i, _, _ in kept), threading.local())


def _ruled_out(gate: _Gate | None, text: str) -> frozenset[int]:
    """The gate's expressions that match nowhere in `text`; none when there is no gate or the text is
    not ASCII (on ASCII text, case folding, `\\b`, `\\d`, `\\s` and `\\w` mean the same in Hyperscan
    and `regex`)."""
    if gate is None or not text.isascii():
        return frozenset()
    hit: set[int] = set()

    def seen(id_: int, _from: int, _to: int, _flags: int, _ctx: object) -> None:
        hit.add(id_)

    scratch = getattr(gate.scratch, "space", None)
    if scratch is None:
        import hyperscan

        scratch = gate.scratch.space = hyperscan.Scratch(gate.database)
    gate.database.scan(text.encode("ascii"), match_event_handler=seen, scratch=scratch)
    return gate.ids - hit


def _lines_with(need: regex.Pattern, text: str) -> list[tuple[int, int]]:
    """(start, end) of each line of `text` on which `need` matches, without the line break; the
    pattern is run with these as pos/endpos, where a line break and the text's end look alike."""
    out, pos = [], 0
    while (m := need.search(text, pos)) is not None:
        lo = text.rfind("\n", 0, m.start()) + 1
        hi = text.find("\n", max(m.start(), m.end() - 1))
        hi = len(text) if hi < 0 else hi
        out.append((lo, hi))
        pos = hi + 1
        if pos > len(text):
            break
    return out
