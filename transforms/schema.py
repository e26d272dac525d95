"""The extraction schema: one pydantic model, from which the JSON schema for structured outputs is
generated. Bounded (maxItems, maxLength, enums) so a small model cannot loop forever inside it.
SCHEMA_VERSION changes whenever the model does; it is stored on every fact row."""

from __future__ import annotations

import functools
import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "2.0"

_Evidence = Field(max_length=160, description="verbatim words copied from the note")
_Name = Field(min_length=1, max_length=80)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Medication(_Strict):
    name: str = _Name
    dose: str = Field(max_length=30, description="e.g. '500 mg'; empty if not written")
    route: str = Field(max_length=20, description="e.g. 'oral'; empty if not written")
    frequency: str = Field(max_length=30, description="e.g. 'twice daily'; empty if not written")
    status: Literal["active", "new", "stopped", "held", "unknown"]
    evidence: str = _Evidence


class Diagnosis(_Strict):
    name: str = _Name
    status: Literal["active", "resolved", "unknown"]
    negated: bool = Field(description="the note says the patient does NOT have it")
    historical: bool = Field(description="past history rather than a current problem")
    family_history: bool = Field(description="a relative has it, not the patient")
    evidence: str = _Evidence


class Procedure(_Strict):
    name: str = _Name
    evidence: str = _Evidence


class Lab(_Strict):
    name: str = _Name
    value: str = Field(max_length=20)
    unit: str = Field(max_length=20)
    flag: Literal["high", "low", "normal", "abnormal", "unknown"]
    evidence: str = _Evidence


class Vital(_Strict):
    name: Literal["blood_pressure", "heart_rate", "respiratory_rate", "temperature", "oxygen_saturation",
                  "weight", "height", "bmi", "pain_score"]  # fmt: skip
    value: str = Field(max_length=20)
    unit: str = Field(max_length=20)
    evidence: str = _Evidence


class Allergy(_Strict):
    substance: str = _Name
    reaction: str = Field(max_length=40)
    evidence: str = _Evidence


class Extraction(_Strict):
    medications: list[Medication] = Field(max_length=8)
    diagnoses: list[Diagnosis] = Field(max_length=8)
    procedures: list[Procedure] = Field(max_length=6)
    labs: list[Lab] = Field(max_length=8)
    vitals: list[Vital] = Field(max_length=8)
    allergies: list[Allergy] = Field(max_length=4)
    smoking_status: Literal["current", "former", "never", "unknown"]


FACT_TYPES = ("medication", "diagnosis", "procedure", "lab", "vital", "allergy", "smoking_status")


def extraction_json_schema() -> dict:
    return json.loads(_schema_text())  # a fresh copy: callers may edit it


@functools.cache
def _schema_text() -> str:
    return json.dumps(Extraction.model_json_schema())


_CLAUSE = re.compile(r"[^\n;]+")
_TOKEN = re.compile(r"\S+")
_TRIM = frozenset(".,;:()")


def quote_spans(text: str, limits: tuple[tuple[int, int], ...]) -> list[list[str]]:
    """For each (max_chars, max_words) of `limits`, every run of whole words within one clause of
    `text` (clauses end at line breaks and semicolons), as written, at most `max_words` words and
    `max_chars` characters, also without the punctuation that opens or closes it ("(rash)." gives
    "rash"): what a quote from the note can be. One pass over the text serves every limit."""
    found: list[set[str]] = [set() for _ in limits]
    widest = max(w for _, w in limits)
    longest = max(c for c, _ in limits)
    for clause in _CLAUSE.finditer(text):
        line = clause.group(0)
        words = [(m.start(), m.end()) for m in _TOKEN.finditer(line)]
        for i, (start, _) in enumerate(words):
            for n, (_, end) in enumerate(words[i : i + widest], 1):
                if end - start > longest:
                    break
                span = line[start:end]
                variants = _variants(span) if span[-1] in _TRIM or span[0] in "()" else (span,)
                for (max_chars, max_words), spans in zip(limits, found, strict=True):
                    if n <= max_words and end - start <= max_chars:
                        spans.update(variants)
    return [sorted(s) for s in found]


def _variants(span: str) -> tuple[str, ...]:
    bare = span.rstrip(".,;:")
    return tuple(v for v in (span, bare, bare.rstrip(")"), span.lstrip("("), bare.lstrip("("), bare.strip("()")) if v)


def note_spans(text: str, max_chars: int, max_words: int) -> list[str]:
    """quote_spans for one limit."""
    return quote_spans(text, ((max_chars, max_words),))[0]


def grounded_json_schema(text: str) -> dict:
    """The extraction schema with every `evidence` (and every name but a vital's code) constrained
    to a quote of `text` (note_spans): structured decoding cannot produce a quote the note does not
    hold, nor misspell a name it copies."""
    schema = extraction_json_schema()
    evidence, names = quote_spans(text, ((160, 24), (80, 6)))
    if not evidence:
        return schema
    defs = schema["$defs"]
    defs["NoteQuote"] = {"type": "string", "enum": evidence}
    defs["NoteName"] = {"type": "string", "enum": names}
    for model, fields in (("Medication", ("name", "evidence")), ("Diagnosis", ("name", "evidence")),
                          ("Procedure", ("name", "evidence")), ("Lab", ("name", "evidence")),
                          ("Vital", ("evidence",)), ("Allergy", ("substance", "evidence"))):  # fmt: skip
        for f in fields:
            defs[model]["properties"][f] = {"$ref": "#/$defs/NoteQuote" if f == "evidence" else "#/$defs/NoteName"}
    return schema
