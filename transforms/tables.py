"""Explicit Arrow schemas for the output tables, and builders from plain records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pyarrow as pa

from transforms.records import Quarantined

_STR_MAP = pa.map_(pa.string(), pa.string())
_INT_MAP = pa.map_(pa.string(), pa.int32())

NOTES = pa.schema([
    pa.field("note_key", pa.string(), nullable=False),
    pa.field("patient_key", pa.string()),
    pa.field("note_date", pa.date32(), metadata={"doc": "shifted by the patient's date offset"}),
    pa.field("note_type", pa.string()),
    pa.field("source_format", pa.string()),
    pa.field("source_key", pa.string(), metadata={"doc": "keyed hash of the object the note was read from (paths may name patients; the path stays in operational state)"}),
    pa.field("text", pa.large_string(), metadata={"doc": "de-identified note text"}),
    pa.field("phi_counts", _INT_MAP),
    pa.field("phi_total", pa.int32()),
    pa.field("extraction_status", pa.string(), metadata={"doc": "ok | error"}),
    pa.field("extraction_error", pa.string()),
    pa.field("n_facts", pa.int32()),
    pa.field("n_facts_ungrounded", pa.int32(), metadata={"doc": "facts whose evidence was not found in the text (in facts_ungrounded)"}),
    pa.field("n_chunks", pa.int16()),
    pa.field("prompt_tokens", pa.int32()),
    pa.field("generated_tokens", pa.int32()),
    pa.field("deid_version", pa.string()),
    pa.field("run_id", pa.string(), nullable=False),
])  # fmt: skip

# staging only (between the de-id and extract tasks): keyed hashes of the note's PHI values
# staged only, never published: the keyed hashes of the PHI found (the fact leak guard's input) and
# the surrogates written in its place (a fact is never named by one)
STAGED_NOTES = NOTES.append(pa.field("phi_tokens", pa.list_(pa.string()))).append(
    pa.field("surrogates", pa.list_(pa.string())))

FACTS = pa.schema([
    pa.field("fact_id", pa.string(), nullable=False),
    pa.field("note_key", pa.string(), nullable=False),
    pa.field("patient_key", pa.string()),
    pa.field("fact_type", pa.string(), nullable=False),
    pa.field("name", pa.string(), nullable=False),
    pa.field("attributes", _STR_MAP),
    pa.field("evidence", pa.string()),
    pa.field("evidence_start", pa.int32()),
    pa.field("evidence_end", pa.int32()),
    pa.field("grounding", pa.string()),
    pa.field("chunk_index", pa.int16()),
    pa.field("model_id", pa.string(), nullable=False),
    pa.field("model_revision", pa.string(), nullable=False),
    pa.field("adapter_id", pa.string()),
    pa.field("adapter_sha256", pa.string()),
    pa.field("prompt_version", pa.string(), nullable=False),
    pa.field("schema_version", pa.string(), nullable=False),
    pa.field("deid_version", pa.string(), nullable=False),
    pa.field("run_id", pa.string(), nullable=False),
])  # fmt: skip

# facts_ungrounded: the same columns; facts whose grounding is not in transforms.codes.GROUNDED
FACTS_UNGROUNDED = FACTS

QUARANTINE = pa.schema([
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("source_key", pa.string(), nullable=False, metadata={"doc": "keyed hash of the source object"}),
    pa.field("locator", pa.string()),
    pa.field("source_format", pa.string()),
    pa.field("stage", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("message", pa.string()),
    pa.field("note_key", pa.string()),
    pa.field("quarantined_at", pa.timestamp("us", tz="UTC")),
])  # fmt: skip

RUNS = pa.schema([
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("started_at", pa.timestamp("us", tz="UTC")),
    pa.field("ended_at", pa.timestamp("us", tz="UTC")),
    pa.field("status", pa.string()),
    pa.field("source_uri", pa.string()),
    pa.field("output_uri", pa.string()),
    pa.field("n_shards", pa.int32()),
    pa.field("shards_resumed", pa.int32(), metadata={"doc": "shards committed by an earlier, interrupted attempt and kept"}),
    pa.field("notes_input", pa.int64()),
    pa.field("notes_output", pa.int64()),
    pa.field("notes_quarantined", pa.int64()),
    pa.field("notes_extraction_error", pa.int64()),
    pa.field("facts_output", pa.int64()),
    pa.field("facts_ungrounded", pa.int64(), metadata={"doc": "facts kept out of `facts`: their evidence was not found in the note or does not name them"}),
    pa.field("objects_unchanged", pa.int64(), metadata={"doc": "skipped: same ETag/size as the last run"}),
    pa.field("objects_empty", pa.int64(), metadata={"doc": "read, and held no record (an empty .jsonl or .ndjson)"}),
    pa.field("objects_changed", pa.int64()),
    pa.field("objects_moved", pa.int64(), metadata={"doc": "listed under a new name with the content of an object no longer listed: not read again, rows kept"}),
    pa.field("objects_deleted", pa.int64(), metadata={"doc": "read by an earlier run and no longer listed; their rows are removed when source.deleted is 'remove'"}),
    pa.field("notes_superseded", pa.int64(), metadata={"doc": "rows of earlier runs replaced by this run"}),
    pa.field("table_versions", pa.map_(pa.string(), pa.int64()), metadata={"doc": "each Delta table's version after this run's commit (query --as-of reads them)"}),
    pa.field("phi_leaks", pa.int64(), metadata={"doc": "notes blocked by the leak guard (quarantined phi_leak)"}),
    pa.field("alerts", pa.list_(pa.string()), metadata={"doc": "phi_leak and drift warnings"}),
    pa.field("quarantine_by_reason", _INT_MAP),
    pa.field("phi_by_type", _INT_MAP),
    pa.field("engine", pa.string()),
    pa.field("model_id", pa.string()),
    pa.field("model_revision", pa.string()),
    pa.field("adapter_id", pa.string(), metadata={"doc": "LoRA adapter applied to the model (null: the base model)"}),
    pa.field("prompt_version", pa.string()),
    pa.field("schema_version", pa.string()),
    pa.field("deid_version", pa.string()),
    pa.field("chartsift_version", pa.string()),
    pa.field("settings_fingerprint", pa.string()),
    pa.field("deid_seconds", pa.float64()),
    pa.field("inference_seconds", pa.float64()),
    pa.field("wall_seconds", pa.float64()),
    pa.field("notes_per_second", pa.float64()),
    pa.field("prompt_tokens", pa.int64()),
    pa.field("generated_tokens", pa.int64()),
    pa.field("generated_tokens_per_second", pa.float64()),
    pa.field("notice", pa.string()),
])  # fmt: skip

# integer ids for OMOP CDM tables (whose ids are 32-bit integers): assigned once per key at the end
# of the run that first wrote it, the next integers after the largest in use, never reused
IDS = pa.schema([
    pa.field("kind", pa.string(), nullable=False),
    pa.field("key", pa.string(), nullable=False),
    pa.field("id", pa.int32(), nullable=False),
    pa.field("run_id", pa.string(), nullable=False),
])  # fmt: skip

METRICS = pa.schema([
    pa.field("run_id", pa.string(), nullable=False),
    pa.field("ended_at", pa.timestamp("us", tz="UTC")),
    pa.field("metric", pa.string(), nullable=False),
    pa.field("value", pa.float64()),
    pa.field("baseline_runs", pa.int32()),
    pa.field("baseline_mean", pa.float64()),
    pa.field("baseline_sd", pa.float64()),
    pa.field("lower", pa.float64()),
    pa.field("upper", pa.float64()),
    pa.field("status", pa.string(), metadata={"doc": "ok | drift | no_baseline"}),
])  # fmt: skip


def _map(d: dict | list | None) -> list[tuple[str, object]] | None:
    """Map values as sorted pairs; accepts a dict or the pair list Arrow reads a map back as."""
    if d is None:
        return None
    return sorted(d.items()) if isinstance(d, dict) else sorted(tuple(p) for p in d)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def build_table(rows: Sequence[dict], schema: pa.Schema) -> pa.Table:
    """Rows (dicts keyed by column) to a table with exactly `schema`; map columns take dicts."""
    cols = {}
    for f in schema:
        values = [r.get(f.name) for r in rows]
        if pa.types.is_map(f.type):
            values = [_map(v) for v in values]
        elif pa.types.is_date32(f.type):
            values = [_date(v) if isinstance(v, str) else v for v in values]
        cols[f.name] = pa.array(values, type=f.type)
    return pa.Table.from_pydict(cols, schema=schema)


def quarantine_rows(items: Sequence[Quarantined], run_id: str, at: dt.datetime,
                    source_key: Callable[[str], str]) -> list[dict]:  # fmt: skip
    """Quarantine rows; `source_key` turns an object's URI into its keyed hash (never the path)."""
    return [{"run_id": run_id, "source_key": source_key(q.source_uri), "locator": q.locator, "source_format": q.source_format,
             "stage": q.stage, "reason": q.reason, "message": q.message, "note_key": q.note_key,
             "quarantined_at": at} for q in items]  # fmt: skip
