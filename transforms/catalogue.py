"""The column catalogue: every output column with its type (from the Arrow schemas in
transforms.tables), a description and a sensitivity class. Registry profiles declare a data-use
level, and a profile may only ask for columns whose class that level allows. The data dictionary
(`sql/DATA_DICTIONARY.md`, and one in every delivery) is generated from here."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from transforms import tables
from transforms.codes import Code


class Sensitivity(Code):
    DIRECT_IDENTIFIER = "direct_identifier"  # points back to a source record or person: never delivered
    PSEUDONYM = "pseudonym"  # a keyed id; re-keyed per registry on delivery
    QUASI_IDENTIFIER = "quasi_identifier"  # identifying in combination (dates, even shifted)
    FREE_TEXT = "free_text"  # de-identified text: residual PHI is possible
    DERIVED_FACT = "derived_fact"  # what the model extracted, structured
    OPERATIONAL = "operational"  # provenance, versions, counts


class DataUse(Code):
    """What a registry's data-use agreement allows (profile key `data_use`)."""

    DEIDENTIFIED = "deidentified"  # pseudonyms, derived facts, provenance
    LIMITED = "limited"  # ... and quasi-identifiers (shifted dates, de-identified note titles)
    FREE_TEXT = "free_text"  # ... and de-identified free text (evidence snippets)


ALLOWED: dict[DataUse, frozenset[Sensitivity]] = {
    DataUse.DEIDENTIFIED: frozenset({Sensitivity.PSEUDONYM, Sensitivity.DERIVED_FACT, Sensitivity.OPERATIONAL}),
}
ALLOWED[DataUse.LIMITED] = ALLOWED[DataUse.DEIDENTIFIED] | {Sensitivity.QUASI_IDENTIFIER}
ALLOWED[DataUse.FREE_TEXT] = ALLOWED[DataUse.LIMITED] | {Sensitivity.FREE_TEXT}

_P, _Q, _T, _D, _O, _X = (Sensitivity.PSEUDONYM, Sensitivity.QUASI_IDENTIFIER, Sensitivity.FREE_TEXT,
                    Sensitivity.DERIVED_FACT, Sensitivity.OPERATIONAL, Sensitivity.DIRECT_IDENTIFIER)  # fmt: skip

_SHARED = {
    "note_key": (_P, "Keyed id of the note (HMAC of the source object and record id under the site key)."),
    "patient_key": (_P, "Keyed id of the patient (HMAC of the source patient id under the site key); null when the source names none."),
    "deid_version": (_O, "Version of the de-identifier (rules and tagger checksum) that produced the text."),
    "run_id": (_O, "The run that wrote the row."),
    "model_id": (_O, "Model that extracted the fact."),
    "model_revision": (_O, "Revision (or packaged checksum) of that model."),
    "prompt_version": (_O, "Content hash of the prompt template."),
    "adapter_id": (_O, "LoRA adapter applied to the model (its name and sha256 prefix); null for the base model."),
    "adapter_sha256": (_O, "sha256 of that adapter's weights and config (chartsift-adapter.json)."),
    "schema_version": (_O, "Version of the extraction JSON schema."),
    "source_key": (_X, "Keyed hash of the source object's path (operational linkage back to the archive)."),
    "source_format": (_O, "txt | jsonl | fhir | hl7v2 | unknown."),
    "prompt_tokens": (_O, "Prompt tokens the engine counted."),
    "generated_tokens": (_O, "Tokens the engine generated."),
}  # fmt: skip

_DESCRIPTIONS: dict[str, dict[str, tuple[Sensitivity, str]]] = {
    "ids": {
        "kind": (_O, "note, fact or person: which OMOP id the row assigns (note_id, note_nlp_id, person_id)."),
        "key": (_P, "The chartsift key it stands for: note_key, fact_id or patient_key."),
        "id": (_P, "The 32-bit integer id (OMOP CDM v5.4 ids are integers): assigned once, never reused."),
    },
    "notes": {
        "note_date": (_Q, "Date of the note, shifted by the patient's secret offset (intervals hold)."),
        "note_type": (_Q, "Note title or type (JSONL note_type, FHIR type, HL7 TXA-2/OBR-4), de-identified; null when it failed."),
        "text": (_T, "De-identified note text: PHI replaced by surrogates, tags or masks."),
        "phi_counts": (_O, "PHI spans found, by entity type."),
        "phi_total": (_O, "PHI spans found in all."),
        "extraction_status": (_O, "ok | error: whether the model's answer was accepted."),
        "extraction_error": (_O, "Why the answer was rejected (truncated, invalid_json, ...)."),
        "n_facts": (_O, "Grounded facts extracted from the note (rows in `facts`)."),
        "n_facts_ungrounded": (_O, "Facts the model gave whose evidence is not in the note or does not name them (rows in `facts_ungrounded`)."),
        "n_chunks": (_O, "Pieces the note was cut into to fit the model's context."),
    },
    "facts": {
        "fact_id": (_P, "Stable id of the fact (note, position, model, prompt and schema versions)."),
        "fact_type": (_D, "medication | diagnosis | procedure | lab | vital | allergy | smoking_status."),
        "name": (_D, "What the fact is about: drug, condition, test, substance, or the smoking status."),
        "attributes": (_D, "dose, route, frequency, status; value, unit, flag; reaction; negated, historical, family_history (present only when true)."),
        "evidence": (_T, "The span of de-identified text the fact rests on; it names the fact (a word of its name, or a lab's or vital's value)."),
        "evidence_start": (_D, "Start offset of the evidence in the de-identified text."),
        "evidence_end": (_D, "End offset of the evidence in the de-identified text."),
        "grounding": (_D, "exact | case_insensitive | whitespace_normalized | token_aligned | clause (the clause naming the fact holding most of the quote's words) | keyword (smoking status: the sentence naming tobacco; a vital: its words next to its value)."),
        "chunk_index": (_O, "Which chunk of the note the fact came from."),
    },
    "facts_ungrounded": {
        "fact_id": (_P, "Stable id of the fact, as it would be in `facts`."),
        "fact_type": (_D, "As in `facts`."),
        "name": (_D, "What the model named; not verified against the note."),
        "attributes": (_D, "As in `facts`; not verified."),
        "evidence": (_T, "The model's quote (not found in the note), or the span it found that does not name the fact."),
        "evidence_start": (_D, "Start offset of what was found (evidence_mismatch, surrogate, name_only); null when nothing was."),
        "evidence_end": (_D, "End offset of what was found."),
        "grounding": (_D, "evidence_mismatch (found, does not name the fact or breaks a type rule) | surrogate (named by a surrogate the de-identifier wrote) | name_only (the name was found, not the evidence) | ungrounded."),
        "chunk_index": (_O, "Which chunk of the note the fact came from."),
    },
    "quarantine": {
        "locator": (_O, "Where in the object: 'line 12', 'file', 'message 3'..."),
        "stage": (_O, "read | parse | deid | extract."),
        "reason": (_O, "Stable reason code (README: quarantine reason codes)."),
        "message": (_O, "What went wrong, without values from the record."),
        "quarantined_at": (_O, "When the record was quarantined (UTC)."),
    },
    "metrics": {
        "ended_at": (_O, "When the run ended (UTC)."),
        "metric": (_O, "Metric name (schema-valid rate, facts per note by type, null rates...)."),
        "value": (_O, "The run's value."),
        "baseline_runs": (_O, "Earlier runs in the baseline."),
        "baseline_mean": (_O, "Baseline mean."),
        "baseline_sd": (_O, "Baseline standard deviation."),
        "lower": (_O, "Lower edge of the band."),
        "upper": (_O, "Upper edge of the band."),
        "status": (_O, "ok | drift | no_baseline."),
    },
}  # fmt: skip


@dataclass(frozen=True)
class Column:
    table: str
    name: str
    type: str  # the Arrow type
    description: str
    sensitivity: Sensitivity


def _runs_entry(field: pa.Field) -> tuple[Sensitivity, str]:
    doc = (field.metadata or {}).get(b"doc", b"").decode()
    if field.name in ("source_uri", "output_uri"):
        return _X, "Where the run read from / wrote to (source paths may name patients)."
    return _O, doc or f"Run record: {field.name.replace('_', ' ')}."


def _build() -> dict[tuple[str, str], Column]:
    out: dict[tuple[str, str], Column] = {}
    for table, schema in (("notes", tables.NOTES), ("facts", tables.FACTS), ("facts_ungrounded", tables.FACTS_UNGROUNDED),
                          ("quarantine", tables.QUARANTINE), ("runs", tables.RUNS), ("metrics", tables.METRICS),
                          ("ids", tables.IDS)):  # fmt: skip
        for f in schema:
            entry = _runs_entry(f) if table == "runs" else (_DESCRIPTIONS[table].get(f.name) or _SHARED.get(f.name))
            if entry is None:
                raise KeyError(f"column {table}.{f.name} has no catalogue entry")
            out[(table, f.name)] = Column(table, f.name, str(f.type), entry[1], entry[0])
    return out


CATALOGUE = _build()


def column(table: str, name: str) -> Column:
    return CATALOGUE[(table, name)]


def data_dictionary(columns: list[Column] | None = None, title: str = "chartsift data dictionary") -> str:
    """Markdown: one row per column (table, name, type, class, description)."""
    cols = columns if columns is not None else list(CATALOGUE.values())
    lines = [f"# {title}", "",
             "Generated from `transforms/catalogue.py` (do not edit). Dates are shifted per patient by a "
             "secret offset: intervals within a patient hold, calendar dates are not real.", "",
             "| table | column | type | class | description |", "|---|---|---|---|---|"]  # fmt: skip
    lines += [f"| {c.table} | `{c.name}` | {c.type} | {c.sensitivity} | {c.description} |" for c in cols]
    levels = ", ".join(f"`{u}`: {', '.join(sorted(ALLOWED[u]))}" for u in DataUse)
    return "\n".join([*lines, "", f"Data-use levels and the classes they allow: {levels}. "
                      f"`{Sensitivity.DIRECT_IDENTIFIER}` columns are never delivered.", ""])  # fmt: skip
