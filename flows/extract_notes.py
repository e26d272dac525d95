"""The main flow: plan the source into shards, then for each shard de-identify and extract, then
publish the run record. It reads like a table of contents; the work is in flows.tasks."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections import Counter

from prefect import flow, get_run_logger

from flows import __version__, progress, storage
from flows.engines.models import SMOLLM2_ID
from flows.settings import Settings
from flows.tasks import deidentify_shard, extract_shard, finalize_run, plan_source
from transforms.deid import DEID_VERSION
from transforms.schema import SCHEMA_VERSION

SMALL_MODEL_NOTICE = (
    "SmolLM2-135M is a tiny CPU development model: its extractions are poor and must not be used for "
    "research; run the GPU engine with a clinical model (e.g. MedGemma) for real output."
)
DEV_SECRET_NOTICE = "de-id secret is the development default: set CHARTSIFT_DEID__SECRET for real data."


def build_settings(source: str | None = None, output: str | None = None, engine: str | None = None,
                   model: str | None = None, limit: int | None = None) -> Settings:  # fmt: skip
    """Settings from the environment, with the flow's parameters on top."""
    s = Settings()
    if source is not None:
        s.source.uri = source
    if output is not None:
        s.sink.uri = output
    if engine is not None:
        s.inference.engine = engine  # type: ignore[assignment]
    if model is not None:
        s.inference.model = model
    if limit is not None:
        s.source.limit = limit
    return Settings.model_validate(s.model_dump())  # re-validate the combination


@flow(name="extract-notes", log_prints=False)
def extract_notes(source: str | None = None, output: str | None = None, engine: str | None = None,
                  model: str | None = None, limit: int | None = None, full_refresh: bool = False) -> dict:  # fmt: skip
    settings = build_settings(source, output, engine, model, limit)
    storage.configure_s3(settings.s3)
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    log = get_run_logger()

    plan = plan_source(settings.source, settings.sink, run_id, full_refresh)
    progress.report("plan", plan["n_records"], plan["n_records"])
    deid_parts, extract_parts = [], []
    for shard in range(plan["n_shards"]):
        d = deidentify_shard(plan["plan_uri"], shard, settings.deid, settings.sink, run_id)
        deid_parts.append(d)
        progress.report("deid", shard + 1, plan["n_shards"])
        extract_parts.append(extract_shard(d["deid_uri"], shard, settings.inference, settings.deid, settings.sink, run_id))
        progress.report("notes", sum(p["n_notes"] + p["n_quarantined"] for p in deid_parts), plan["n_records"])

    run = summarize(run_id, started, time.perf_counter() - t0, settings, plan, deid_parts, extract_parts)
    if sum(e["n_notes"] + e["n_leaks"] for e in extract_parts) != sum(d["n_notes"] for d in deid_parts):
        raise RuntimeError("notes were lost between de-identification and extraction")  # counts only
    q_uris = [d["quarantine_uri"] for d in deid_parts] + [e["quarantine_uri"] for e in extract_parts]
    run = finalize_run(run, q_uris, plan["plan_uri"], settings.sink)
    if run["phi_leaks"]:
        log.error("PHI LEAK GUARD: %d note(s) blocked and quarantined (reason phi_leak); see the quarantine "
                  "table and review the de-identifier", run["phi_leaks"])  # fmt: skip
    publish_artifact(run)
    log.info("run %s: %d in, %d out, %d quarantined, %d facts", run_id, run["notes_input"],
             run["notes_output"], run["notes_quarantined"], run["facts_output"])  # fmt: skip
    return run


def publish_artifact(run: dict) -> None:
    """A table artifact in Prefect's UI: counts, PHI by type, facts per note, throughput. No text."""
    from prefect.artifacts import create_table_artifact

    out = run["notes_output"] or 1
    rows = [
        {"metric": "notes in / out / quarantined",
         "value": f"{run['notes_input']} / {run['notes_output']} / {run['notes_quarantined']}"},
        {"metric": "extraction errors (invalid or truncated answers)", "value": str(run["notes_extraction_error"])},
        {"metric": "schema-valid answer rate", "value": f"{1 - run['notes_extraction_error'] / out:.3f}"},
        {"metric": "facts / facts per note", "value": f"{run['facts_output']} / {run['facts_output'] / out:.2f}"},
        {"metric": "quarantine by reason", "value": json.dumps(run["quarantine_by_reason"], sort_keys=True)},
        {"metric": "PHI found by type", "value": json.dumps(run["phi_by_type"], sort_keys=True)},
        {"metric": "notes/s, generated tokens/s",
         "value": f"{run['notes_per_second'] or 0:.2f}, {run['generated_tokens_per_second'] or 0:.1f}"},
        {"metric": "model", "value": f"{run['model_id']} {run['model_revision']}"},
    ]  # fmt: skip
    create_table_artifact(key="chartsift-run", table=rows, description=f"chartsift run {run['run_id']}")


def summarize(run_id: str, started: dt.datetime, wall: float, settings: Settings, plan: dict,
              deid_parts: list[dict], extract_parts: list[dict]) -> dict:  # fmt: skip
    phi: Counter = Counter()
    reasons: Counter = Counter()
    for d in deid_parts:
        phi.update(d["phi"])
        reasons.update(d["quarantine_by_reason"])
    out = sum(e["n_notes"] for e in extract_parts)
    leaks = sum(d["n_leaks"] for d in deid_parts) + sum(e["n_leaks"] for e in extract_parts)
    quarantined = sum(d["n_quarantined"] for d in deid_parts) + sum(e["n_leaks"] for e in extract_parts)
    if leaks:
        reasons["phi_leak"] = leaks
    infer = sum(e["inference_seconds"] for e in extract_parts)
    gtoks = sum(e["generated_tokens"] for e in extract_parts)
    first = extract_parts[0] if extract_parts else {}
    notices = []
    if first.get("model_id") == SMOLLM2_ID:
        notices.append(SMALL_MODEL_NOTICE)
    if settings.deid.uses_dev_secret:
        notices.append(DEV_SECRET_NOTICE)
    return {
        "run_id": run_id, "started_at": started, "ended_at": dt.datetime.now(dt.UTC),
        "status": "completed_with_alerts" if leaks else "completed",
        "source_uri": settings.source.uri, "output_uri": settings.sink.uri, "n_shards": plan["n_shards"],
        "notes_input": out + quarantined, "notes_output": out, "notes_quarantined": quarantined,
        "notes_extraction_error": sum(e["n_errors"] for e in extract_parts),
        "facts_output": sum(e["n_facts"] for e in extract_parts),
        "objects_unchanged": plan["objects_unchanged"], "objects_changed": plan["objects_changed"],
        "quarantine_by_reason": dict(reasons), "phi_by_type": dict(phi),
        "engine": first.get("engine", settings.inference.engine), "model_id": first.get("model_id"),
        "model_revision": first.get("model_revision"), "prompt_version": first.get("prompt_version"),
        "schema_version": SCHEMA_VERSION, "deid_version": DEID_VERSION, "chartsift_version": __version__,
        "settings_fingerprint": settings.fingerprint(),
        "deid_seconds": sum(d["seconds"] for d in deid_parts), "inference_seconds": infer, "wall_seconds": wall,
        "notes_per_second": (out + quarantined) / wall if wall else None,
        "prompt_tokens": sum(e["prompt_tokens"] for e in extract_parts), "generated_tokens": gtoks,
        "generated_tokens_per_second": gtoks / infer if infer else None,
        "notice": " ".join(notices) or None, "phi_leaks": leaks,
        "alerts": [f"phi_leak: {leaks} note(s) blocked by the leak guard"] if leaks else [],
    }  # fmt: skip
