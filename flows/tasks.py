"""Prefect tasks. Each handles a shard (hundreds of notes), takes and returns references and counts
(URIs, integers), never note text, and retries only transient errors."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter

import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import delta, ledger, progress, storage
from flows.layout import OutputLayout
from flows.omop_ids import assign_ids
from flows.plan import load_plan, load_shard, load_state, plan_shards, save_plan, settings_changed, state_uri
from flows.publish import publish_rows, staged_keys
from flows.results import DeidShardResult, ExtractShardResult, PlanResult, RunRecord
from flows.runtime import (
    deid_policy,
    deid_version,
    deid_workers,
    deidentify_on_workers,
    get_engine,
    template_name,
)
from flows.settings import DeidSettings, InferenceSettings, MonitorSettings, SinkSettings, SourceSettings
from transforms import keys, monitor, tables
from transforms.codes import Reason, Stage
from transforms.deid.stage import staged_row
from transforms.errors import TerminalError, TransientError, is_transient
from transforms.extraction import ExtractOutcome, ExtractPolicy, extract_facts
from transforms.parse import Limits, detect_format, parse_stream, records_accounted
from transforms.prompts import load_template
from transforms.records import Quarantined, SourceNote


def retry_transient(task, task_run, state) -> bool:  # noqa: ANN001 - Prefect's retry_condition_fn signature
    exc = state.data if isinstance(state.data, BaseException) else None
    if exc is None:
        try:
            state.result(raise_on_failure=True)
        except BaseException as e:  # noqa: BLE001
            exc = e
    return exc is not None and is_transient(exc)


SHARD_TASK = dict(retries=3, retry_delay_seconds=[1, 5, 15], retry_condition_fn=retry_transient,
                  cache_policy=NO_CACHE, persist_result=False)  # fmt: skip

def read_item(item, limits: Limits) -> tuple[list, list[Quarantined]]:  # noqa: ANN001 - a plan.ShardItem
    """Notes and quarantine records of one planned item, through the one parse entry point (line
    formats stream). Any failure of this one object (unreadable, vanished, access denied, a parser
    bug) quarantines it; only transient errors, worth a retry of the shard, propagate."""
    fmt = detect_format(item.name)[0] or "unknown"
    try:
        with storage.open_stream(item.uri) as stream:
            return parse_stream(item.uri, item.name, stream, (item.first_line, item.stop_line), limits)
    except TransientError:
        raise
    except (OSError, TerminalError) as exc:  # unreadable file, vanished object, S3 AccessDenied
        return [], [Quarantined(item.uri, "file", fmt, Stage.READ, Reason.UNREADABLE, f"object could not be read ({type(exc).__name__})")]
    except Exception as exc:  # noqa: BLE001 - one object's failure is that object's, never the run's
        return [], [Quarantined(item.uri, "file", fmt, Stage.PARSE, Reason.PARSE_ERROR, f"object could not be parsed ({type(exc).__name__})")]


def shard_id(fingerprint: str, items: list) -> str:
    """A shard's name: its content (objects, versions, line ranges) and the settings fingerprint.
    The same shard under the same settings always gets the same name, so a rerun finds it done."""
    return keys.content_hash(fingerprint, *(f"{i.uri}\x1e{i.etag}\x1e{i.first_line}\x1e{i.stop_line}" for i in items),
                             length=24)  # fmt: skip


@task(name="plan-shards", **SHARD_TASK)
def plan_source(source: SourceSettings, sink: SinkSettings, run_id: str, fingerprint: str,
                full_refresh: bool = False) -> PlanResult:  # fmt: skip
    """List the source, skip objects unchanged since the last run (unless full_refresh), cut shards."""
    state = load_state(state_uri(sink.uri, source.uri))  # on a full refresh it names the rows to supersede
    refresh = full_refresh or settings_changed(state, fingerprint, source.on_settings_change)
    plan = plan_shards(source, state, refresh)
    plan.remove_deleted = source.deleted == "remove"
    plan.shard_ids = [shard_id(fingerprint, s) for s in plan.shards]
    uri = OutputLayout(sink.uri).run_staging(run_id, "plan.json")
    save_plan(uri, plan, source.limits())
    n_notes = sum(i.n_records for s in plan.shards for i in s)
    get_run_logger().info("planned %d shards, %d records; %d objects unchanged, %d changed, %d moved, %d no longer "
                          "listed%s", len(plan.shards), n_notes, plan.skipped_unchanged, len(plan.changed),
                          len(plan.moved), len(plan.deleted), " (settings changed: all re-processed)" if refresh and not full_refresh else "")  # fmt: skip
    return PlanResult(plan_uri=uri, n_shards=len(plan.shards), n_records=n_notes, shard_ids=plan.shard_ids,
                      objects_unchanged=plan.skipped_unchanged, objects_changed=len(plan.changed),
                      objects_listed=plan.listed, objects_empty=plan.empty, objects_moved=len(plan.moved),
                      objects_deleted=len(plan.deleted))  # fmt: skip


def read_shard(plan: dict, shard: int) -> tuple[list[SourceNote], list[str], list[Quarantined], int, int]:
    """(notes, the object name of each, quarantine records, records planned, records unaccounted)
    of one shard. An unaccounted record (a parser dropped it silently) is logged as a count; the
    run refuses to publish while any is."""
    limits = Limits(**plan["limits"])
    notes, objects, bad, planned, unaccounted = [], [], [], 0, 0
    for item in load_shard(plan, shard):
        n, q = read_item(item, limits)
        notes.extend(n)
        objects.extend([item.name] * len(n))
        bad.extend(q)
        planned += item.n_records
        unaccounted += item.n_records - records_accounted(item.n_records, n, q)
    if unaccounted:
        get_run_logger().error("shard %d: %d planned record(s) gave neither a note nor a quarantine record",
                               shard, unaccounted)  # fmt: skip
    return notes, objects, bad, planned, unaccounted


@task(name="deidentify-shard", **SHARD_TASK)
def deidentify_shard(plan_uri: str, shard: int, sid: str, deid: DeidSettings, sink: SinkSettings,
                     run_id: str) -> DeidShardResult:  # fmt: skip
    """Read, parse and de-identify one shard. Writes de-identified notes and quarantine records to
    the shard's staging area, then a small JSON of counts that marks it complete; a rerun after a
    crash finds that and reuses the staged shard."""
    deid = deid.resolved()  # on a cluster's worker: the secret from its own environment
    layout = OutputLayout(sink.uri)
    done_uri = layout.shard_staging(sid, "deid.json")
    try:
        staged = storage.read_json(done_uri)
    except storage.TornObject:  # its writer died mid-write: the staged shard is done again
        staged = None
    if staged is not None:
        return staged
    t0 = time.perf_counter()
    policy = deid_policy(deid)
    notes, objects, bad, planned, unaccounted = read_shard(load_plan(plan_uri), shard)
    outcome = deidentify_on_workers(policy, notes, objects, deid.shard_time_budget_s, deid_workers(deid))
    bad.extend(outcome.quarantined)
    version = deid_version(policy)

    def skey(uri: str) -> str:
        return keys.source_key(policy.secret, uri)

    rows = [staged_row(n, version, run_id, skey(n.source.source_uri)) for n in outcome.notes]
    deid_uri, q_uri = write_staged_shard(layout, sid, rows, tables.quarantine_rows(bad, run_id, dt.datetime.now(dt.UTC), skey),
                                         sink.compression)  # fmt: skip
    seconds = time.perf_counter() - t0
    get_run_logger().info("shard %d: %d notes de-identified, %d quarantined, %.1fs",
                          shard, len(rows), len(bad), seconds)  # fmt: skip
    result = DeidShardResult(
        deid_uri=deid_uri, quarantine_uri=q_uri, n_notes=len(rows), n_quarantined=len(bad),
        n_leaks=sum(q.reason == Reason.PHI_LEAK for q in bad), records_planned=planned,
        records_accounted=planned - unaccounted, quarantine_by_reason=dict(Counter(q.reason for q in bad)),
        phi=dict(outcome.phi), seconds=seconds,
    )  # fmt: skip
    if not unaccounted:  # a shard that lost records is never marked done: the next run computes it again
        storage.write_bytes(done_uri, json.dumps(result).encode())
    return result


def write_staged_shard(layout: OutputLayout, sid: str, rows: list[dict], quarantine: list[dict],
                       compression: str) -> tuple[str, str]:  # fmt: skip
    """Stage a de-identified shard: its notes and its quarantine rows; returns their URIs."""
    deid_uri = layout.shard_staging(sid, "deid.parquet")
    q_uri = layout.shard_staging(sid, "deid-quarantine.parquet")
    storage.write_parquet(tables.build_table(rows, tables.STAGED_NOTES), deid_uri, compression)
    storage.write_parquet(tables.build_table(quarantine, tables.QUARANTINE), q_uri, compression)
    return deid_uri, q_uri


def extract_policy(inference: InferenceSettings, deid: DeidSettings) -> ExtractPolicy:
    return ExtractPolicy(inference.max_tokens, inference.retry_max_tokens, deid.secret.get_secret_value().encode(),
                         grounded_decoding=inference.grounded_decoding)  # fmt: skip


@task(name="extract-shard", **SHARD_TASK)
def extract_shard(deid_part: DeidShardResult, shard: int, sid: str, inference: InferenceSettings, deid: DeidSettings,
                  sink: SinkSettings, run_id: str) -> ExtractShardResult:  # fmt: skip
    """Prompt the engine for every de-identified note in a shard, write the shard's `notes`, `facts`
    and `quarantine` parts under the shard's name, then its manifest (the commit). A shard this run
    already committed (its task run again after a cluster worker died) returns that commit."""
    committed = ledger.read_shard_manifest(sink.uri, sid)
    if committed is not None and committed["run_id"] == run_id:
        return committed["extract"]
    t0 = time.perf_counter()
    deid = deid.resolved()
    engine = get_engine(inference)
    template = load_template(template_name(inference, engine.info))
    out = extract_facts(storage.read_parquet(deid_part["deid_uri"]).to_pylist(), engine, template,
                        extract_policy(inference, deid), run_id)  # fmt: skip
    write_shard_parts(OutputLayout(sink.uri), sid, out, deid_part["quarantine_uri"], run_id,
                                      sink.compression)  # fmt: skip
    progress.report("extract", shard + 1, -1)
    get_run_logger().info("shard %d: %d notes, %d facts, %d extraction errors, %.1fs inference",
                          shard, len(out.notes), len(out.facts), out.n_errors, out.inference_seconds)  # fmt: skip
    info = engine.info
    result = ExtractShardResult(
        n_notes=len(out.notes), n_facts=len(out.facts), n_facts_ungrounded=len(out.ungrounded), n_errors=out.n_errors, n_leaks=len(out.quarantined),
        prompt_tokens=out.prompt_tokens, generated_tokens=out.generated_tokens,
        inference_seconds=out.inference_seconds, seconds=time.perf_counter() - t0, model_id=info.model_id,
        model_revision=info.model_revision, adapter_id=info.adapter_id or None, engine=info.name,
        prompt_version=template.version,
        stats=monitor.shard_stats(out.notes, out.facts + out.ungrounded),
    )  # fmt: skip
    if deid_part.get("records_accounted") != deid_part.get("records_planned"):
        return result  # no commit record for a shard that lost records (the run will refuse to publish)
    ledger.write_shard_manifest(sink.uri, sid, {
        "shard_id": sid, "run_id": run_id, "committed_at": dt.datetime.now(dt.UTC).isoformat(),
        "parts": {"notes": bool(out.notes), "facts": bool(out.notes), "facts_ungrounded": bool(out.notes), "quarantine": True},
        "deid": {k: v for k, v in deid_part.items() if not k.endswith("_uri")}, "extract": result,
    })  # fmt: skip
    return result


def write_shard_parts(layout: OutputLayout, sid: str, out: ExtractOutcome, staged_quarantine_uri: str, run_id: str,
                      compression: str) -> int:  # fmt: skip
    """Stage a shard's rows for notes, facts, facts_ungrounded and quarantine (every one, empty or
    not) until finalize commits them; returns the quarantine rows staged. Each file appears whole
    under the shard's name: staging it again after a crash writes the same rows."""
    quarantine = pa.concat_tables([
        storage.read_parquet(staged_quarantine_uri),
        tables.build_table(tables.quarantine_rows(out.quarantined, run_id, dt.datetime.now(dt.UTC), str),
                           tables.QUARANTINE),
    ])  # fmt: skip
    storage.write_parquet(tables.build_table(out.facts, tables.FACTS), layout.shard_rows(sid, "facts"), compression)
    storage.write_parquet(tables.build_table(out.ungrounded, tables.FACTS_UNGROUNDED),
                          layout.shard_rows(sid, "facts_ungrounded"), compression)  # fmt: skip
    storage.write_parquet(tables.build_table(out.notes, tables.NOTES), layout.shard_rows(sid, "notes"), compression)
    storage.write_parquet(quarantine, layout.shard_rows(sid, "quarantine"), compression)
    return quarantine.num_rows


@task(name="finalize-run", **SHARD_TASK)
def finalize_run(run: RunRecord, plan_uri: str, sink: SinkSettings, deid: DeidSettings) -> RunRecord:
    """Commit the shards' rows to the tables (replacing the rows of objects read again), publish the
    `runs` row and the run manifest, record the source state for the next incremental run, and drop
    the staging areas."""
    plan = load_plan(plan_uri)
    sids = plan["shard_ids"]
    secret = deid.secret.get_secret_value().encode()
    gone = plan.get("deleted", {}) if plan.get("remove_deleted") else {}
    rows = {i["uri"] for shard in plan["shards"] for i in shard} | set(plan.get("moved_rows", {}).values()) | set(gone.values())
    layout = OutputLayout(sink.uri)
    _drop_unfinished_runs(sink.uri, run["run_id"])
    staged = staged_keys(sink.uri, sids)  # the staged rows' key columns, read once for both steps
    assign_ids(sink.uri, run["run_id"], staged, sink.compression)
    run["notes_superseded"], versions = publish_rows(sink.uri, run["run_id"], sids, staged,
                                                     {keys.source_key(secret, u) for u in rows}, sink.compression)  # fmt: skip
    run["table_versions"] = {**versions, "metrics": delta.version(layout.table("metrics"))}
    delta.replace(layout.table("runs"), tables.RUNS, lambda: iter([tables.build_table([run], tables.RUNS)]),
                  delta.sql_in("run_id", [run["run_id"]]), run["run_id"], sink.compression)  # fmt: skip
    ledger.write_run_manifest(sink.uri, run["run_id"], {"run_id": run["run_id"], "shard_ids": sids,
                                                        "settings_fingerprint": run["settings_fingerprint"],
                                                        "table_versions": run["table_versions"]})  # fmt: skip
    st_uri = state_uri(sink.uri, run["source_uri"])
    state = load_state(st_uri)
    objects = state.setdefault("objects", {})
    for uri in [*plan.get("moved", {}).values(), *gone]:
        objects.pop(uri, None)
    objects.update(plan["seen"])
    state.update(source_uri=run["source_uri"], last_run_id=run["run_id"], fingerprint=run["settings_fingerprint"])
    storage.write_bytes(st_uri, json.dumps(state, sort_keys=True).encode())
    # the whole staging area: this run's, and what killed runs left for shards no plan names now
    # (we hold the output lock, so no other run is using it)
    storage.delete_prefix(layout.staging())
    return run


def _drop_unfinished_runs(output_uri: str, run_id: str) -> None:
    """Remove the `runs` and `metrics` rows and the `ids` parts of earlier runs that never finished
    (killed after writing them, before their run manifest): this run completes their work (and
    assigns the same ids again), and one run's work must not show as two completed runs."""
    layout = OutputLayout(output_uri)
    finished = ledger.finished_runs(output_uri) | {run_id}
    for table, schema in (("runs", tables.RUNS), ("metrics", tables.METRICS)):
        dead = set(delta.read(layout.table(table), schema, ["run_id"])["run_id"].to_pylist()) - finished
        if dead:
            delta.delete(layout.table(table), delta.sql_in("run_id", dead), run_id)
    for part in storage.list_objects(layout.table("ids"), missing_ok=True):
        other = part.name.removeprefix("run-").removesuffix(".parquet")
        if part.name.startswith("run-") and other not in finished:
            storage.delete(part.uri)


def _metrics_history(sink: SinkSettings, run_id: str, since: dt.datetime | None) -> list[dict[str, float]]:
    """Earlier runs' metrics on this output, newest first: runs that drifted are left out (a
    persistent shift keeps warning until someone restarts the baseline with `since`), and so are
    runs that never finished (killed after writing metrics, before their run manifest)."""
    cols = ["run_id", "ended_at", "metric", "value", "status"]
    rows = [r for r in delta.read(OutputLayout(sink.uri).table("metrics"), tables.METRICS, cols).to_pylist()
            if r["run_id"] != run_id]  # fmt: skip
    if not rows:
        return []
    left_out = {r["run_id"] for r in rows if r["status"] == "drift"}
    left_out |= {r["run_id"] for r in rows} - ledger.finished_runs(sink.uri)
    by_run: dict[str, dict] = {}
    ended: dict[str, dt.datetime] = {}
    for r in rows:
        if r["run_id"] in left_out or (since is not None and r["ended_at"] < since):
            continue
        by_run.setdefault(r["run_id"], {})[r["metric"]] = r["value"]
        ended[r["run_id"]] = r["ended_at"]
    return [by_run[k] for k in sorted(by_run, key=lambda k: ended[k], reverse=True)]


@task(name="monitor-run", **SHARD_TASK)
def monitor_run(run: RunRecord, stats: dict, settings: MonitorSettings, sink: SinkSettings) -> dict:
    """Compute the run's quality metrics, compare them with the rolling baseline of earlier runs on
    this output, and commit them to `metrics`. Returns the rows (numbers only) and the warnings."""
    current = monitor.run_metrics(stats, run["notes_input"], run["notes_quarantined"], run["phi_by_type"])
    policy = monitor.DriftPolicy(settings.baseline_runs, settings.min_baseline_runs, settings.sigmas,
                                 settings.rel_tolerance, settings.abs_tolerance)  # fmt: skip
    rows = monitor.compare(current, _metrics_history(sink, run["run_id"], settings.baseline_since), policy)
    for r in rows:
        r.update(run_id=run["run_id"], ended_at=run["ended_at"])
    delta.replace(OutputLayout(sink.uri).table("metrics"), tables.METRICS, lambda: iter([tables.build_table(rows, tables.METRICS)]),
                  delta.sql_in("run_id", [run["run_id"]]), run["run_id"], sink.compression)  # fmt: skip
    warnings = monitor.drift_warnings(rows)
    for w in warnings:
        get_run_logger().warning(w)
    return {"rows": rows, "warnings": warnings}


@task(name="write-report", **SHARD_TASK)
def write_report(run: RunRecord, metrics: list[dict], sink: SinkSettings) -> str:
    """The run's HTML report beside the output (numbers only); returns its URI."""
    from transforms.report import render_run_report

    layout = OutputLayout(sink.uri)
    cols = ["run_id", "ended_at", "notes_input", "notes_per_second", "generated_tokens_per_second"]
    history = delta.read(layout.table("runs"), tables.RUNS, cols).to_pylist()
    uri = layout.run_file("reports", run["run_id"], "html")
    storage.write_bytes(uri, render_run_report(run, history, metrics).encode())
    return uri
