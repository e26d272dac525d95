"""Turn a model's JSON answer into fact rows grounded to character spans of the de-identified note.

Every answer is validated against the JSON schema (jsonschema) and the pydantic model; an answer
that fails becomes an error outcome with a code, never a crash and never partial facts. Error
messages name the failure, never the text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import jsonschema
from pydantic import ValidationError

from transforms.chunking import Chunk
from transforms.codes import ExtractionError, Grounding
from transforms.schema import Extraction, extraction_json_schema

_VALIDATOR = jsonschema.Draft202012Validator(extraction_json_schema())


@dataclass(frozen=True)
class Located:
    start: int | None
    end: int | None
    status: Grounding


@dataclass
class ParsedAnswer:
    extraction: Extraction | None
    error: ExtractionError | None = None
    facts: list[dict] = field(default_factory=list)


_RUNAWAY = re.compile(r"(\s)\1{40,}|(\d)\2{30,}|(.{2,12}?)\3{12,}")


def parse_answer(text: str, finish_reason: str | None) -> ParsedAnswer:
    """Validate a model answer. Error codes: truncated (hit max_tokens), runaway_output (a loop of
    whitespace, digits or a short pattern), empty_output, invalid_json, schema_violation."""
    if _RUNAWAY.search(text):
        return ParsedAnswer(None, ExtractionError.RUNAWAY_OUTPUT)
    if finish_reason == "length":
        return ParsedAnswer(None, ExtractionError.TRUNCATED)
    if not text.strip():
        return ParsedAnswer(None, ExtractionError.EMPTY_OUTPUT)
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return ParsedAnswer(None, ExtractionError.INVALID_JSON)
    if next(_VALIDATOR.iter_errors(data), None) is not None:
        return ParsedAnswer(None, ExtractionError.SCHEMA_VIOLATION)
    try:
        return ParsedAnswer(Extraction.model_validate(data))
    except ValidationError:
        return ParsedAnswer(None, ExtractionError.SCHEMA_VIOLATION)


def ground(text: str, evidence: str, fallback: str = "") -> Located:
    """Locate `evidence` in `text`: exact, then case-insensitive, then whitespace-normalized, then
    its words in order with any punctuation between them; then the fact's name alone (name_only).
    `text[start:end]` is what was located."""
    for needle, fallen_back in ((evidence.strip(), False), (fallback.strip(), True)):
        found = _find(text, needle) if needle else None
        if found is not None:
            return Located(found.start, found.end, Grounding.NAME_ONLY if fallen_back else found.status)
    return Located(None, None, Grounding.UNGROUNDED)


def _find(text: str, needle: str) -> Located | None:
    i = text.find(needle)
    if i >= 0:
        return Located(i, i + len(needle), Grounding.EXACT)
    m = re.search(re.escape(needle), text, flags=re.IGNORECASE)
    if m:
        return Located(m.start(), m.end(), Grounding.CASE_INSENSITIVE)
    m = re.search(r"\s+".join(re.escape(w) for w in needle.split()), text, flags=re.IGNORECASE)
    if m:
        return Located(m.start(), m.end(), Grounding.WHITESPACE_NORMALIZED)
    tokens = re.findall(r"\w+", needle)
    if len(tokens) >= 2:
        m = re.search(r"\b" + r"\W+".join(re.escape(t) for t in tokens) + r"\b", text, flags=re.IGNORECASE)
        if m:
            return Located(m.start(), m.end(), Grounding.TOKEN_ALIGNED)
    return None


def mentions(fact_type: str, name: str, attributes: dict[str, str], span: str) -> bool:
    """Whether located evidence names its fact: a lab's or vital's value is in it, or a word of the
    fact's name (its first five letters: "hypertensive" names "hypertension"). An abbreviation the
    name spells out ("HTN" for "hypertension") does not count: such a fact goes to audit."""
    span_l = span.lower()
    value = attributes.get("value", "").lower()
    if fact_type in ("lab", "vital") and value and value in span_l:
        return True
    if fact_type == "vital":
        return False  # a vital's name is a code ("heart_rate"): only its value can be checked
    words = re.findall(r"[a-z0-9]+", name.lower())
    words = [w for w in words if len(w) >= 3] or words
    span_words = re.findall(r"[a-z0-9]+", span_l)
    return any(s.startswith(w[:5]) for w in words for s in span_words)


_TOBACCO = re.compile(r"[^\n.;]*\b(?:smok\w*|tobacco|cigar\w*|cigs?|ppd|pack[- ]?years?|nicotine|vap(?:es|ing))\b[^\n.;]*",
                      flags=re.IGNORECASE)  # fmt: skip


def locate(text: str, fact_type: str, name: str, attributes: dict[str, str], evidence: str) -> Located:
    """Ground one fact in `text` (see codes.Grounding): its evidence, which must name the fact; the
    sentence that names tobacco for smoking status (the schema has no evidence for it)."""
    if fact_type == "smoking_status":
        m = _TOBACCO.search(text)
        if m is None:
            return Located(None, None, Grounding.UNGROUNDED)
        lead = len(m.group(0)) - len(m.group(0).lstrip())
        return Located(m.start() + lead, m.start() + len(m.group(0).rstrip()), Grounding.KEYWORD)
    g = ground(text, evidence)
    if g.start is not None and not mentions(fact_type, name, attributes, text[g.start : g.end]):
        return Located(g.start, g.end, Grounding.EVIDENCE_MISMATCH)
    if g.start is None:
        return ground(text, "", fallback=name)
    return g


def facts_from_extraction(extraction: Extraction, note_text: str, chunk: Chunk) -> list[dict]:
    """Fact dicts with offsets into the whole note (chunk offsets mapped back); `grounding` says
    whether the fact may enter `facts` (codes.GROUNDED) or goes to audit."""
    facts: list[dict] = []

    def add(fact_type: str, name: str, attributes: dict[str, str], evidence: str) -> None:
        attrs = {k: v.strip() for k, v in attributes.items() if v and v.strip()}
        g = locate(chunk.text, fact_type, name, attrs, evidence)
        start = g.start + chunk.start if g.start is not None else None
        end = g.end + chunk.start if g.end is not None else None
        facts.append({
            "fact_type": fact_type,
            "name": name.strip(),
            "attributes": attrs,
            "evidence": note_text[start:end] if start is not None else evidence,
            "evidence_start": start,
            "evidence_end": end,
            "grounding": g.status,
            "chunk_index": chunk.index,
        })  # fmt: skip

    def flags(**kw: bool) -> dict[str, str]:
        return {k: "true" for k, v in kw.items() if v}

    for m in extraction.medications:
        add("medication", m.name, {"dose": m.dose, "route": m.route, "frequency": m.frequency, "status": m.status},
            m.evidence)  # fmt: skip
    for d in extraction.diagnoses:
        add("diagnosis", d.name,
            {"status": d.status, **flags(negated=d.negated, historical=d.historical, family_history=d.family_history)},
            d.evidence)  # fmt: skip
    for p in extraction.procedures:
        add("procedure", p.name, {}, p.evidence)
    for lab in extraction.labs:
        add("lab", lab.name, {"value": lab.value, "unit": lab.unit, "flag": lab.flag}, lab.evidence)
    for v in extraction.vitals:
        add("vital", v.name, {"value": v.value, "unit": v.unit}, v.evidence)
    for a in extraction.allergies:
        add("allergy", a.substance, {"reaction": a.reaction}, a.evidence)
    if extraction.smoking_status != "unknown":
        add("smoking_status", extraction.smoking_status, {}, "")
    return facts


def merge_chunk_facts(facts: list[dict]) -> list[dict]:
    """Facts found twice (overlapping chunks) are kept once: same type, name, attributes and span."""
    seen = set()
    out = []
    for f in facts:
        key = (f["fact_type"], f["name"].lower(), tuple(sorted(f["attributes"].items())),
               f["evidence_start"] if f["evidence_start"] is not None else f["evidence"].lower())  # fmt: skip
        if f["fact_type"] == "smoking_status":
            key = ("smoking_status", f["name"])
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
