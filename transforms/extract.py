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

from transforms import cues
from transforms.chunking import Chunk
from transforms.codes import GROUNDED, ExtractionError, Grounding
from transforms.schema import Extraction, clause_spans, extraction_json_schema

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


def ground(text: str, evidence: str, fallback: str = "", pos: int = 0) -> Located:
    """Locate `evidence` in `text` from `pos` on: exact (as whole words first: "O2" before the "O2"
    of "SpO2"), then case-insensitive, then whitespace-normalized, then its words in order with any
    punctuation between them; then the fact's name alone (name_only). `text[start:end]` is what was
    located."""
    for needle, fallen_back in ((evidence.strip(), False), (fallback.strip(), True)):
        found = _find(text, needle, pos) if needle else None
        if found is not None:
            return Located(found.start, found.end, Grounding.NAME_ONLY if fallen_back else found.status)
    return Located(None, None, Grounding.UNGROUNDED)


def _find(text: str, needle: str, pos: int = 0) -> Located | None:
    m = re.compile(rf"(?<!\w){re.escape(needle)}(?!\w)").search(text, pos)
    i = m.start() if m else text.find(needle, pos)
    if i >= 0:
        return Located(i, i + len(needle), Grounding.EXACT)
    m = re.compile(re.escape(needle), flags=re.IGNORECASE).search(text, pos)
    if m:
        return Located(m.start(), m.end(), Grounding.CASE_INSENSITIVE)
    m = re.compile(r"\s+".join(re.escape(w) for w in needle.split()), flags=re.IGNORECASE).search(text, pos)
    if m:
        return Located(m.start(), m.end(), Grounding.WHITESPACE_NORMALIZED)
    tokens = re.findall(r"\w+", needle)
    if len(tokens) >= 2:
        m = re.compile(r"\b" + r"\W+".join(re.escape(t) for t in tokens) + r"\b", flags=re.IGNORECASE).search(text, pos)
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


_CLAUSE_END = re.compile(r"\n|;|\.(?=\s|$)")
_MIN_CLAUSE_OVERLAP = 0.6


def _keyword(text: str, fact_type: str, name: str, value: str) -> Located:
    """Smoking status: the sentence naming tobacco. A vital: its name's words right before its value."""
    if fact_type == "smoking_status":
        m = cues.TOBACCO.search(text)
    elif fact_type == "vital" and name in cues.VITAL_WORDS and value:
        m = re.search(rf"\b(?:{cues.VITAL_WORDS[name]})\b\W{{0,3}}{re.escape(value)}(?![\d.]\d)", text, flags=re.IGNORECASE)
    else:
        m = None
    if m is None:
        return Located(None, None, Grounding.UNGROUNDED)
    lead = len(m.group(0)) - len(m.group(0).lstrip())
    return Located(m.start() + lead, m.start() + len(m.group(0).rstrip()), Grounding.KEYWORD)


def _clause(text: str, name: str, evidence: str) -> Located | None:
    """The clause (between line breaks, semicolons and full stops) holding the fact's name whose
    words cover most of the quoted evidence's, every number among them: the model's quote,
    slightly off, aligned."""
    want = set(re.findall(r"\w+", evidence.lower()))
    best: tuple[float, int, int] | None = None
    for m in re.finditer(rf"(?<!\w){re.escape(name.strip())}(?!\w)", text, flags=re.IGNORECASE) if name.strip() else ():
        start = max((e.end() for e in _CLAUSE_END.finditer(text, 0, m.start())), default=0)
        stop = _CLAUSE_END.search(text, m.end())
        end = stop.start() if stop else len(text)
        have = set(re.findall(r"\w+", text[start:end].lower()))
        overlap = len(want & have) / len(want) if want else 0.0
        numbers_hold = all(w in have for w in want if w[0].isdigit())  # a dose or value quoted must be there
        if overlap >= _MIN_CLAUSE_OVERLAP and numbers_hold and (best is None or overlap > best[0]):
            best = (overlap, start, end)
    if best is None:
        return None
    _, start, end = best
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Located(start, end, Grounding.CLAUSE)


def _typed(text: str, fact_type: str, name: str, g: Located) -> Located:
    """The type rules, which grounded decoding also enforces (schema.grounded_json_schema): an
    allergy must sit on a line that speaks of allergies (a drug in a medication list is not one); a
    medication's clause must not (a drug the patient reacts to is not one), and must speak of
    medication (cues.speaks_of_medication: a known drug, a dose, a route, a medication
    verb) or sit in a medication list, and its name must not be dosing words alone ("po", "prn");
    a vital's words ("RR", "pulse 63") name no other fact.
    A fact that breaks one is an evidence mismatch."""
    if g.start is None or g.status not in GROUNDED or fact_type in ("vital", "smoking_status"):
        return g
    lines = text[: g.end].split("\n")  # the last is the start of the evidence's line
    line = lines[-1] + text[g.end :].split("\n", 1)[0]
    if fact_type == "allergy":
        fits = bool(cues.ALLERGY.search(line))
    elif fact_type == "medication":
        in_list = cues.medication_sections(lines)[-1]
        clause = _clause_of(line, len(lines[-1]) - (g.end - g.start))
        fits = not cues.ALLERGY.search(clause) and (in_list or cues.speaks_of_medication(clause)) and (
            not cues.dosing_words_only(name))  # fmt: skip
    else:
        fits = True
    return g if fits and not cues.vital_name(name) else Located(g.start, g.end, Grounding.EVIDENCE_MISMATCH)


def _clause_of(line: str, at: int) -> str:
    """The clause of `line` (schema.clause_spans) that holds offset `at`."""
    return next((line[a:b] for a, b in clause_spans(line) if a <= at < b), line)


_MAX_OCCURRENCES = 20


def locate(text: str, fact_type: str, name: str, attributes: dict[str, str], evidence: str) -> Located:
    """Ground one fact in `text` (codes.Grounding): `_locate`, then the type rules (`_typed`). The
    same quote may stand in several clauses and the model read one of them: when the first
    occurrence is a mismatch, the later ones are tried (at most _MAX_OCCURRENCES)."""
    first, pos = None, 0
    for _ in range(_MAX_OCCURRENCES):
        g = _typed(text, fact_type, name, _locate(text, fact_type, name, attributes, evidence, pos))
        first = first or g
        if g.status in GROUNDED or g.status != Grounding.EVIDENCE_MISMATCH or g.start is None or g.start < pos:
            return g if g.status in GROUNDED else first
        pos = g.start + 1
    return first


def _locate(text: str, fact_type: str, name: str, attributes: dict[str, str], evidence: str,
            pos: int = 0) -> Located:  # fmt: skip
    """Ground one fact in `text` (see codes.Grounding): its evidence, if it names the fact; else,
    for a vital, its name's words next to its value; else the clause naming the fact that holds
    most of the evidence's words; smoking status (the schema has no evidence for it) by the
    sentence naming tobacco. What is left is not grounded: the evidence found but naming something
    else (evidence_mismatch), the name alone (name_only), or nothing. `pos`: where to start looking
    for the evidence."""
    if fact_type == "smoking_status":
        return _keyword(text, fact_type, name, "")
    g = ground(text, evidence, pos=pos)
    if g.start is not None and mentions(fact_type, name, attributes, text[g.start : g.end]):
        return g
    found = _keyword(text, fact_type, name, attributes.get("value", "")) if fact_type == "vital" else \
        _clause(text, name, evidence)
    if found is not None and found.start is not None:
        return found
    if g.start is not None:
        return Located(g.start, g.end, Grounding.EVIDENCE_MISMATCH)
    return ground(text, "", fallback=name) if fact_type != "vital" else g


def facts_from_extraction(extraction: Extraction, note_text: str, chunk: Chunk,
                          surrogates: list[str] | tuple[str, ...] = ()) -> list[dict]:  # fmt: skip
    """Fact dicts with offsets into the whole note (chunk offsets mapped back); `grounding` says
    whether the fact may enter `facts` (codes.GROUNDED) or goes to audit. A fact named by one of
    the `surrogates` the de-identifier wrote in the note is `surrogate`, whatever its evidence."""
    facts: list[dict] = []
    written = cues.surrogate_words(surrogates)

    def add(fact_type: str, name: str, attributes: dict[str, str], evidence: str) -> None:
        attrs = {k: v.strip() for k, v in attributes.items() if v and v.strip()}
        g = locate(chunk.text, fact_type, name, attrs, evidence)
        if fact_type not in ("vital", "smoking_status") and cues.surrogate_name(name, written):
            g = Located(g.start, g.end, Grounding.SURROGATE)
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
