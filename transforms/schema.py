"""The extraction schema: one pydantic model, from which the JSON schema for structured outputs is
generated. Bounded (maxItems, maxLength, enums) so a small model cannot loop forever inside it.
SCHEMA_VERSION changes whenever the model does; it is stored on every fact row."""

from __future__ import annotations

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
    return Extraction.model_json_schema()


_CLAUSE = re.compile(r"[^\n;]+")
_TOKEN = re.compile(r"\S+")


def note_spans(text: str, max_chars: int, max_words: int) -> list[str]:
    """Every run of whole words within one clause of `text` (clauses end at line breaks and
    semicolons), as written, at most `max_words` words and `max_chars` characters, also without
    the punctuation that opens or closes it ("(rash)." gives "rash"): what a quote from the note
    can be."""
    spans: set[str] = set()
    for clause in _CLAUSE.finditer(text):
        words = list(_TOKEN.finditer(clause.group(0)))
        for i, first in enumerate(words):
            for last in words[i : i + max_words]:
                span = clause.group(0)[first.start() : last.end()]
                if len(span) > max_chars:
                    break
                bare = span.rstrip(".,;:")
                spans.update(v for v in (span, bare, bare.rstrip(")"), span.lstrip("("), bare.lstrip("("),
                                         bare.strip("()")) if v)  # fmt: skip
    return sorted(spans)


def grounded_json_schema(text: str) -> dict:
    """The extraction schema with every `evidence` (and every name but a vital's code) constrained
    to a quote of `text` (note_spans): structured decoding cannot produce a quote the note does not
    hold, nor misspell a name it copies."""
    schema = extraction_json_schema()
    evidence = note_spans(text, max_chars=160, max_words=24)
    names = note_spans(text, max_chars=80, max_words=6)
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
