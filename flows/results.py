"""The typed contracts between the flow's tasks: what each task returns and what the run record
holds. TypedDicts, because these travel as JSON (Prefect task results, shard manifests, the
`runs` table): the keys are checked by type checkers and documented here, once. Counts and
references only, never note text."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from transforms.codes import Code


class RunStatus(Code):
    COMPLETED = "completed"
    COMPLETED_WITH_ALERTS = "completed_with_alerts"  # a leak guard fired, or quality drifted


class PlanResult(TypedDict):
    plan_uri: str  # the staged plan (flows.plan): shards of (object, version, line range)
    n_shards: int
    n_records: int
    shard_ids: list[str]
    objects_unchanged: int
    objects_changed: int
    objects_listed: int
    objects_empty: int
    objects_moved: int  # same content under a new name: not read again, rows kept
    objects_deleted: int  # no longer listed (rows kept or removed: source.deleted)


class DeidShardResult(TypedDict):
    deid_uri: str  # staged de-identified notes (transforms.tables.STAGED_NOTES)
    quarantine_uri: str  # staged quarantine rows
    n_notes: int
    n_quarantined: int
    n_leaks: int  # notes the text leak guard blocked (also in n_quarantined)
    records_planned: int
    records_accounted: int  # as notes or quarantine records; != planned means the shard lost records
    quarantine_by_reason: dict[str, int]
    phi: dict[str, int]  # PHI found, by entity type
    seconds: float


class ExtractShardResult(TypedDict):
    n_notes: int  # notes written (the fact leak guard's removals excluded)
    n_facts: int  # grounded facts written to `facts`
    n_facts_ungrounded: int  # the others, written to `facts_ungrounded`
    n_errors: int  # notes whose answer was rejected (they stay, with no facts)
    n_leaks: int  # notes the fact leak guard quarantined
    prompt_tokens: int
    generated_tokens: int
    inference_seconds: float
    seconds: float
    model_id: str
    model_revision: str
    adapter_id: str | None
    engine: str
    prompt_version: str
    stats: dict  # transforms.monitor.shard_stats, for the drift check


class RunRecord(TypedDict, total=False):
    """One row of `runs` (transforms.tables.RUNS) plus what the flow returns beside it."""

    run_id: str
    started_at: dt.datetime
    ended_at: dt.datetime
    status: RunStatus
    source_uri: str
    output_uri: str
    n_shards: int
    shards_resumed: int
    notes_input: int  # = notes_output + notes_quarantined, checked against the plan
    notes_output: int
    notes_quarantined: int
    notes_extraction_error: int
    facts_output: int
    facts_ungrounded: int
    objects_unchanged: int
    objects_changed: int
    objects_empty: int
    objects_moved: int
    objects_deleted: int
    notes_superseded: int
    table_versions: dict[str, int | None]
    phi_leaks: int
    alerts: list[str]
    quarantine_by_reason: dict[str, int]
    phi_by_type: dict[str, int]
    engine: str
    model_id: str | None
    model_revision: str | None
    adapter_id: str | None
    prompt_version: str | None
    schema_version: str
    deid_version: str
    chartsift_version: str
    settings_fingerprint: str
    deid_seconds: float
    inference_seconds: float
    wall_seconds: float
    notes_per_second: float | None
    prompt_tokens: int
    generated_tokens: int
    generated_tokens_per_second: float | None
    notice: str | None
    # returned by the flow, not in the table
    drift_warnings: list[str]
    report_uri: str
