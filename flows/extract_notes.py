"""The main flow: plan the source into shards, then for each shard de-identify and extract, then
publish the run record. It reads like a table of contents; the work is in flows.tasks."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections import Counter

from prefect import flow, get_run_logger

from flows import __version__, ledger, progress, runtime, storage
from flows.engines.models import GEMMA3_ID, SMOLLM2_ID
from flows.layout import OutputLayout
from flows.results import DeidShardResult, ExtractShardResult, PlanResult, RunRecord, RunStatus
from flows.settings import Settings, load_settings
from flows.tasks import deidentify_shard, extract_shard, finalize_run, monitor_run, plan_source, write_report
from flows.upgrade import upgrade_output
from transforms.deid import DEID_VERSION
from transforms.errors import AccountingError, DriftError, EmptySource
from transforms.monitor import add_stats
from transforms.schema import SCHEMA_VERSION

SMALL_MODEL_NOTICE = (
    "{model} is a tiny CPU development model: its extractions are poor and must not be used for "
    "research; run the GPU engine with a clinical model (e.g. MedGemma) for real output."
)
SMALL_MODELS = {SMOLLM2_ID: "SmolLM2-135M", GEMMA3_ID: "Gemma 3 270M (base)"}
DEV_SECRET_NOTICE = "de-id secret is the development default: set CHARTSIFT_DEID__SECRET for real data."


@flow(name="extract-notes", log_prints=False)
def extract_notes(source: str | None = None, output: str | None = None, engine: str | None = None,
                  model: str | None = None, limit: int | None = None, full_refresh: bool = False) -> RunRecord:  # fmt: skip
    settings = load_settings(source, output, engine, model, limit)
    settings.require_site_secret()
    storage.configure_s3(settings.s3)
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
    fingerprint = runtime.run_fingerprint(settings)  # hashes the adapter's weights: once a run
    audit = ledger.AuditLog(settings.sink.uri, run_id, {
        **ledger.who(), "source_uri": settings.source.uri, "output_uri": settings.sink.uri,
        "settings_fingerprint": fingerprint, "chartsift_version": __version__,
        "deid_version": DEID_VERSION, "schema_version": SCHEMA_VERSION, "full_refresh": full_refresh,
    })  # fmt: skip
    try:
        lock = ledger.OutputLock.acquire(settings.sink.uri, run_id, settings.sink.lock_wait_s,
                                         settings.sink.lock_stale_after_s)  # fmt: skip
    except ledger.OutputLocked as exc:
        audit.record("refused", outcome="output_locked", error_type=type(exc).__name__)
        raise
    audit.record("started")
    try:
        ledger.check_key(settings.sink.uri, settings.deid.key_id)
        with lock.keep_alive(settings.sink.lock_heartbeat_s):
            run = _run(settings, run_id, fingerprint, full_refresh, lock)
    except BaseException as exc:
        audit.record("failed", outcome="failed", error_type=type(exc).__name__)  # the type only: no text
        raise
    finally:
        lock.release()
    audit.record("finished", outcome=run["status"], **{k: run[k] for k in ledger.OUTCOME_FIELDS if k in run})
    if run["drift_warnings"] and settings.monitor.on_drift == "error":
        raise DriftError(f"{len(run['drift_warnings'])} metric(s) outside the baseline band; output was "
                         f"published; see the metrics table and {run['report_uri']}")  # fmt: skip
    return run


def _run(settings: Settings, run_id: str, fingerprint: str, full_refresh: bool, lock: ledger.OutputLock) -> RunRecord:
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    log = get_run_logger()
    sink = settings.sink

    upgrade_output(sink.uri)  # an output of Parquet folders (older chartsift) becomes Delta tables, once
    plan = plan_source(settings.source, sink, run_id, fingerprint, full_refresh)
    if plan["objects_listed"] == 0 and not settings.source.allow_empty:
        raise EmptySource("the source lists no objects: check its path or prefix (set CHARTSIFT_SOURCE__ALLOW_EMPTY=true "
                          "where an empty source is expected)")  # fmt: skip
    progress.report("plan", plan["n_records"], plan["n_records"])
    if not settings.cluster.address and plan["n_shards"]:
        runtime.start_deid_workers(settings.deid, plan["n_records"] / plan["n_shards"])  # they load while shard 0 is read
    deid_parts, extract_parts, resumed = _process_shards(settings, plan, run_id, lock)
    if resumed:
        log.warning("resumed: %d of %d shards were committed by an interrupted run and kept", resumed, plan["n_shards"])

    check_accounts(plan, deid_parts, extract_parts)
    run = summarize(run_id, started, time.perf_counter() - t0, settings, fingerprint, plan, deid_parts, extract_parts)
    run["shards_resumed"] = resumed
    quality = monitor_run(run, add_stats(e.get("stats", {}) for e in extract_parts), settings.monitor, sink)
    run["drift_warnings"] = quality["warnings"]
    run["alerts"] = run["alerts"] + quality["warnings"]
    if quality["warnings"] and run["status"] == RunStatus.COMPLETED:
        run["status"] = RunStatus.COMPLETED_WITH_ALERTS
    run = finalize_run(run, plan["plan_uri"], sink, settings.deid)
    run["report_uri"] = write_report(run, quality["rows"], sink)
    if run["phi_leaks"]:
        log.error("PHI LEAK GUARD: %d note(s) blocked and quarantined (reason phi_leak); see the quarantine "
                  "table and review the de-identifier", run["phi_leaks"])  # fmt: skip
    publish_artifact(run, quality["rows"])
    log.info("run %s: %d in, %d out, %d quarantined, %d facts", run_id, run["notes_input"],
             run["notes_output"], run["notes_quarantined"], run["facts_output"])  # fmt: skip
    return run


def _resumable(sink_uri: str, plan: PlanResult) -> list[dict | None]:
    """Per shard, its manifest if an interrupted attempt (same content and settings) committed it
    and its staged rows are still there: kept as is; else None."""
    finished: dict[str, bool] = {}
    out: list[dict | None] = []
    layout = OutputLayout(sink_uri)
    for sid in plan["shard_ids"]:
        done = ledger.read_shard_manifest(sink_uri, sid)
        if done is not None and done["run_id"] not in finished:
            finished[done["run_id"]] = ledger.run_finished(sink_uri, done["run_id"])
        keep = done is not None and not finished[done["run_id"]] and storage.exists(layout.shard_rows(sid, "notes"))
        out.append(done if keep else None)
    return out


def _process_shards(settings: Settings, plan: PlanResult, run_id: str, lock: ledger.OutputLock
                    ) -> tuple[list[DeidShardResult], list[ExtractShardResult], int]:  # fmt: skip
    """De-identify and extract every shard, overlapped: shard k+1 is de-identified (a task on the
    flow's task runner) while shard k is in the engine; never more than one shard ahead, so memory
    stays flat."""
    sink, deid_parts, extract_parts = settings.sink, [], []
    kept = _resumable(sink.uri, plan)
    if settings.cluster.address:
        from flows.cluster import process_on_cluster

        deid_parts, extract_parts = process_on_cluster(settings, plan, run_id, lock, kept)
        return deid_parts, extract_parts, sum(k is not None for k in kept)

    def start(k: int):  # noqa: ANN202 - a PrefectFuture, or None for a kept shard or past the end
        if k >= len(kept) or kept[k] is not None:
            return None
        return deidentify_shard.submit(plan["plan_uri"], k, plan["shard_ids"][k], settings.deid, sink, run_id)

    pending = start(0)
    for shard, sid in enumerate(plan["shard_ids"]):
        if kept[shard] is not None:
            d, e = kept[shard]["deid"], kept[shard]["extract"]
            pending = pending or start(shard + 1)
        else:
            d = pending.result()
            pending = start(shard + 1)
            e = extract_shard(d, shard, sid, settings.inference, settings.deid, sink, run_id)
        deid_parts.append(d)
        extract_parts.append(e)
        progress.report("deid", shard + 1, plan["n_shards"])
        progress.report("notes", sum(p["n_notes"] + p["n_quarantined"] for p in deid_parts), plan["n_records"])
        lock.heartbeat()
    return deid_parts, extract_parts, sum(k is not None for k in kept)


def check_accounts(plan: PlanResult, deid_parts: list[DeidShardResult], extract_parts: list[ExtractShardResult]) -> None:
    """Input = output + quarantined, against the plan: every planned record came back as a note or
    a quarantine record, and every de-identified note reached extraction. Raises AccountingError
    (counts only) before anything is published."""
    if all("records_planned" in d for d in deid_parts):  # shards committed by chartsift < 0.9 lack the counts
        planned = sum(d["records_planned"] for d in deid_parts)
        accounted = sum(d["records_accounted"] for d in deid_parts)
    else:
        planned = accounted = plan["n_records"]
    if planned != plan["n_records"] or accounted != planned:
        raise AccountingError(f"counts do not add up: the plan has {plan['n_records']} records, the shards read "
                              f"{planned} and accounted for {accounted} (as notes or quarantine records); "
                              "nothing was published, and the next run reads these objects again")  # fmt: skip
    if sum(e["n_notes"] + e["n_leaks"] for e in extract_parts) != sum(d["n_notes"] for d in deid_parts):
        raise AccountingError("counts do not add up: notes were lost between de-identification and extraction; "
                              "nothing was published")  # fmt: skip


def publish_artifact(run: RunRecord, metrics: list[dict]) -> None:
    """Artifacts in Prefect's UI: a table of counts, PHI by type, facts per note and throughput, and
    the drift check. Numbers only, no text."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

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
    drift = [m for m in metrics if m["status"] == "drift"]
    lines = [f"# Quality drift check, run {run['run_id']}", "",
             f"{len(drift)} of {len(metrics)} metrics outside the baseline band." if drift else
             f"All {len(metrics)} metrics within the baseline band (or no baseline yet).", "",
             "| metric | value | expected | baseline runs | status |", "|---|---|---|---|---|"]  # fmt: skip
    for m in sorted(metrics, key=lambda m: (m["status"] != "drift", m["metric"])):
        band = f"{m['lower']:.3f} .. {m['upper']:.3f}" if m["lower"] is not None else "-"
        lines.append(f"| {m['metric']} | {m['value']:.3f} | {band} | {m['baseline_runs']} | {m['status']} |")
    create_markdown_artifact(key="chartsift-drift", markdown="\n".join(lines),
                             description=f"chartsift drift check {run['run_id']}")  # fmt: skip


def summarize(run_id: str, started: dt.datetime, wall: float, settings: Settings, fingerprint: str, plan: PlanResult,
              deid_parts: list[DeidShardResult], extract_parts: list[ExtractShardResult]) -> RunRecord:  # fmt: skip
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
    if first.get("model_id") in SMALL_MODELS:
        notices.append(SMALL_MODEL_NOTICE.format(model=SMALL_MODELS[first["model_id"]]))
    if settings.deid.uses_dev_secret:
        notices.append(DEV_SECRET_NOTICE)
    return RunRecord(**{
        "run_id": run_id, "started_at": started, "ended_at": dt.datetime.now(dt.UTC),
        "status": RunStatus.COMPLETED_WITH_ALERTS if leaks else RunStatus.COMPLETED,
        "source_uri": settings.source.uri, "output_uri": settings.sink.uri, "n_shards": plan["n_shards"],
        "notes_input": out + quarantined, "notes_output": out, "notes_quarantined": quarantined,
        "notes_extraction_error": sum(e["n_errors"] for e in extract_parts),
        "facts_output": sum(e["n_facts"] for e in extract_parts),
        "facts_ungrounded": sum(e.get("n_facts_ungrounded", 0) for e in extract_parts),  # 0 in shards committed before facts_ungrounded existed
        "objects_unchanged": plan["objects_unchanged"], "objects_changed": plan["objects_changed"],
        "objects_empty": plan["objects_empty"], "objects_moved": plan.get("objects_moved", 0),
        "objects_deleted": plan.get("objects_deleted", 0),
        "quarantine_by_reason": dict(reasons), "phi_by_type": dict(phi),
        "engine": first.get("engine", settings.inference.engine), "model_id": first.get("model_id"),
        "model_revision": first.get("model_revision"), "adapter_id": first.get("adapter_id"),
        "prompt_version": first.get("prompt_version"),
        "schema_version": SCHEMA_VERSION, "deid_version": DEID_VERSION, "chartsift_version": __version__,
        "settings_fingerprint": fingerprint,
        "deid_seconds": sum(d["seconds"] for d in deid_parts), "inference_seconds": infer, "wall_seconds": wall,
        "notes_per_second": (out + quarantined) / wall if wall else None,
        "prompt_tokens": sum(e["prompt_tokens"] for e in extract_parts), "generated_tokens": gtoks,
        "generated_tokens_per_second": gtoks / infer if infer else None,
        "notice": " ".join(notices) or None, "phi_leaks": leaks,
        "alerts": [f"phi_leak: {leaks} note(s) blocked by the leak guard"] if leaks else [],
    })  # fmt: skip
