"""Build Presidio recognizers from declared pattern data (recognizers.yaml and site files)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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
    for doc in docs:
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
                    requires=p.get("requires"),
                    line=bool(p.get("line", False)),
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
    the value alone, so this recognizer reports `group`.
    """

    def __init__(self, specs: list[PatternSpec]):
        self._compiled = []
        for s in specs:
            flags = 0
            for f in s.flags:
                flags |= _FLAG_NAMES[f]
            deny = regex.compile(s.deny_context) if s.deny_context else None
            need = regex.compile(s.requires) if s.requires else None
            self._compiled.append((s, regex.compile(s.regex, flags), deny, need))
        entities = sorted({s.entity for s in specs})
        super().__init__(supported_entities=entities, name="chartsift_patterns", supported_language="en")

    def load(self) -> None:  # nothing to load
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: ANN001 - Presidio's signature
        results = []
        wanted = set(entities) if entities else None
        for spec, rx, deny, need in self._compiled:
            if wanted is not None and spec.entity not in wanted:
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
