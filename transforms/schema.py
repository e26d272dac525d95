"""The extraction schema: one pydantic model, from which the JSON schema for structured outputs is
generated. Bounded (maxItems, maxLength, enums) so a small model cannot loop forever inside it.
SCHEMA_VERSION changes whenever the model, the grounded decoding (`grounded_json_schema`) or the
grounding rules (transforms.extract.locate) do; it is stored on every fact row and is part of a run's
fingerprint."""

from __future__ import annotations

import functools
import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from transforms import cues

SCHEMA_VERSION = "2.1"  # 2.1: a fact is tied to one clause of the note; type rules

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
# a full stop ends a clause when a capital follows, unless it closes an abbreviation ("p.o.", "Dr.")
_SENTENCE_END = re.compile(r"\.\s+(?=[A-Z])")
_ABBREVIATION = re.compile(r"(?:\b[A-Za-z]\.[A-Za-z.]*|\b(?:dr|mr|mrs|ms|st|vs))$", flags=re.IGNORECASE)


def clause_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each piece of `text` cut at line breaks, semicolons and the ends of
    sentences, blank pieces dropped: the units a quote stays within."""
    out = []
    for m in _CLAUSE.finditer(text):
        piece, start = m.group(0), 0
        for end in _SENTENCE_END.finditer(piece):
            if not _ABBREVIATION.search(piece, 0, end.start()):
                out.append((m.start() + start, m.start() + end.start() + 1))
                start = end.end()
        out.append((m.start() + start, m.end()))
    return [(a, b) for a, b in out if text[a:b].strip()]


def clauses(text: str) -> list[str]:
    """The pieces of `clause_spans`, as written."""
    return [text[a:b] for a, b in clause_spans(text)]


_TOKEN = re.compile(r"\S+")
_TRIM = frozenset(".,;:()")


def quote_spans(text: str, limits: tuple[tuple[int, int], ...]) -> list[list[str]]:
    """For each (max_chars, max_words) of `limits`, every run of whole words within one clause of
    `text` (`clauses`), as written, at most `max_words` words and `max_chars` characters, also
    without the punctuation that opens or closes it ("(rash)." gives "rash"): what a quote from the
    note can be. One pass over the text serves every limit."""
    found: list[set[str]] = [set() for _ in limits]
    widest = max(w for _, w in limits)
    longest = max(c for c, _ in limits)
    for line in clauses(text):
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


_FACT_LISTS = (("Medication", "medications", "name"), ("Diagnosis", "diagnoses", "name"),
               ("Procedure", "procedures", "name"), ("Lab", "labs", "name"), ("Vital", "vitals", None),
               ("Allergy", "allergies", "substance"))  # fmt: skip


def grounded_json_schema(text: str, surrogates: list[str] | tuple[str, ...] = ()) -> dict:
    """The extraction schema with every fact tied to one clause of `text` (`clauses`): its
    `evidence` is a quote of that clause (quote_spans) and its name is written there too; a vital's
    value is a number written shortly after its words there (cues.vital_values). Each fact list's
    item is an `anyOf` with one alternative per clause (a vital: per clause and code), so once the
    model has written a name, only the clauses holding it stay open for the evidence. The type rules
    of transforms.extract.locate hold too: an allergy only on a line that speaks of allergies; a
    medication only in a clause that does not and that speaks of medication (or in a medication
    list), never named by dosing words alone ("po", "prn"); a vital's words never another fact's
    name; smoking status "unknown" in a note that never mentions tobacco; and no name is part of,
    or holds, one of the `surrogates` the de-identifier wrote in the note (cues.surrogate_name).
    Structured decoding therefore cannot produce a quote the note does not hold, a misspelt copy,
    nor a name paired with another clause's evidence."""
    schema = extraction_json_schema()
    defs, props = schema["$defs"], schema["properties"]
    alternatives: dict[str, list[dict]] = {model: [] for model, _, _ in _FACT_LISTS}
    seen: set[tuple[str, bool, bool]] = set()
    lines, written = text.split("\n"), cues.surrogate_words(surrogates)
    for line, in_med_list in zip(lines, cues.medication_sections(lines), strict=True):
        allergy_line = bool(cues.ALLERGY.search(line))
        for clause in clauses(line):
            if (clause, allergy_line, in_med_list) in seen:
                continue
            seen.add((clause, allergy_line, in_med_list))
            k = len(seen)
            evidence, names = quote_spans(clause, ((160, 24), (80, 6)))
            defs[f"Quote{k}"] = {"type": "string", "enum": evidence}
            names = [n for n in names if not cues.vital_name(n) and not cues.surrogate_name(n, written)]
            defs[f"Name{k}"] = {"type": "string", "enum": names}
            drugs = [n for n in names if not cues.dosing_words_only(n)]
            if drugs != names:
                defs[f"DrugName{k}"] = {"type": "string", "enum": drugs}
            allowed = {"Allergy": allergy_line, "Medication": not cues.ALLERGY.search(clause) and (
                in_med_list or cues.speaks_of_medication(clause))}  # fmt: skip
            for model, _, name_field in _FACT_LISTS:
                fields = {**defs[model]["properties"], "evidence": {"$ref": f"#/$defs/Quote{k}"}}
                name_def = f"DrugName{k}" if model == "Medication" and f"DrugName{k}" in defs else f"Name{k}"
                if name_field is not None and allowed.get(model, True) and defs[name_def]["enum"]:
                    alternatives[model].append({**defs[model], "properties": {**fields, name_field: {"$ref": f"#/$defs/{name_def}"}}})
            for code, values in cues.vital_values(clause).items():
                alternatives["Vital"].append({**defs["Vital"], "properties": {
                    **defs["Vital"]["properties"], "name": {"type": "string", "enum": [code]},
                    "value": {"type": "string", "enum": values}, "evidence": {"$ref": f"#/$defs/Quote{k}"}}})  # fmt: skip
    if not seen:
        return schema
    for model, field_name, _ in _FACT_LISTS:
        if alternatives[model]:
            props[field_name]["items"] = {"anyOf": alternatives[model]}
        else:
            props[field_name] = {**props[field_name], "maxItems": 0}
    if not cues.TOBACCO.search(text):
        props["smoking_status"] = {"type": "string", "enum": ["unknown"]}
    return schema
