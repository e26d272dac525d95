"""Shard planning: list the source, count records, cut the list into shards of about
`shard_size` notes. The plan is written beside the output and tasks get its URI and a shard
index, so object names never travel as Prefect parameters."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from flows import storage
from flows.layout import OutputLayout
from flows.settings import SourceSettings
from transforms.errors import ConfigError, RecordError, TerminalError
from transforms.parse import LINE_FORMATS, Limits, detect_format, record_lines


@dataclass(frozen=True)
class ShardItem:
    uri: str
    name: str
    etag: str
    first_line: int  # JSONL: [first_line, stop_line) ; one-note files: 0, 1
    stop_line: int
    n_records: int


@dataclass
class Plan:
    shards: list[list[ShardItem]]
    seen: dict[str, dict] = field(default_factory=dict)  # object uri -> {"etag", "size"} fully planned
    changed: list[str] = field(default_factory=list)  # planned objects an earlier run already wrote
    skipped_unchanged: int = 0
    shard_ids: list[str] = field(default_factory=list)  # deterministic names (flows.tasks.shard_id)
    listed: int = 0  # objects the source listed (unchanged ones included)
    empty: int = 0  # planned line-format objects with no record at all (counted, nothing to quarantine)
    moved: dict[str, str] = field(default_factory=dict)  # new uri -> the vanished uri whose content it holds
    deleted: dict[str, str] = field(default_factory=dict)  # vanished uri -> the uri its rows were keyed by
    moved_rows: dict[str, str] = field(default_factory=dict)  # a re-read object moved earlier -> its rows' uri
    remove_deleted: bool = False  # source.deleted == "remove": finalize removes the deleted objects' rows


def state_uri(output_uri: str, source_uri: str) -> str:
    """The incremental state of one source, kept next to the output."""
    return OutputLayout(output_uri).source_state(source_uri)


def load_state(uri: str) -> dict:
    """The source's incremental state; none yet means every object is new. Access denied and other
    S3 errors propagate (a run must not silently re-read the whole source); a corrupt file is a
    TerminalError naming it."""
    try:
        state = json.loads(storage.read_bytes(uri))
    except FileNotFoundError:
        return {"objects": {}}
    except ValueError:
        raise TerminalError(f"incremental state is corrupt: {uri} (delete it to re-read "
                            "the source in full)") from None  # fmt: skip
    if not isinstance(state, dict):
        raise TerminalError(f"incremental state is corrupt: {uri}")
    state.setdefault("objects", {})
    return state


def settings_changed(state: dict, fingerprint: str, on_change: str) -> bool:
    """Whether this run must re-process every object (a full refresh) because the output's objects
    were processed under other settings; with `on_change` "refuse", a ConfigError that says what
    to do instead. An output whose state names no fingerprint (written before it was kept) passes."""
    before = state.get("fingerprint")
    if not before or before == fingerprint or not state.get("objects"):
        return False
    if on_change == "reprocess":
        return True
    raise ConfigError(f"this output was written under other settings (fingerprint {before}, now {fingerprint}: a "
                      "model, adapter, prompt or de-identification change): run with --full-refresh to re-process "
                      "every object under the new settings (or set CHARTSIFT_SOURCE__ON_SETTINGS_CHANGE=reprocess), "
                      "or write to another output")  # fmt: skip


def rows_uri(entry: dict, uri: str) -> str:
    """The object uri an object's rows are keyed by (source_key): its own, or, after a move, the
    uri it was first read from."""
    return entry.get("rows_uri", uri)


def _vanished(previous: dict[str, dict], listing: list) -> dict[tuple[str, int], list[str]]:
    """Objects of the state that the source no longer lists, by (etag, size): a listed new object
    with the same content was moved there."""
    listed = {o.uri for o in listing}
    out: dict[tuple[str, int], list[str]] = {}
    for uri, e in sorted(previous.items()):
        if uri not in listed:
            out.setdefault((e.get("etag"), e.get("size")), []).append(uri)
    return out


def plan_shards(source: SourceSettings, state: dict | None = None, full_refresh: bool = False) -> Plan:
    """Shards over the objects that are new or changed since `state` (all of them on a full refresh).
    An object the source lists under a new name with the content (ETag and size) of one it no
    longer lists was moved: it is not read again, and its rows keep their keys. Objects of the
    state the source no longer lists, and that did not move, are `deleted`."""
    previous = (state or {}).get("objects", {})
    plan = Plan([])
    listing = storage.list_objects(source.uri)
    vanished = {} if full_refresh else _vanished(previous, listing)
    items: list[ShardItem] = []
    remaining = source.limit
    for obj in listing:
        if remaining is not None and remaining <= 0:
            break
        plan.listed += 1
        before = previous.get(obj.uri)
        if before is not None and not full_refresh and before.get("etag") == obj.etag and before.get("size") == obj.size:
            plan.skipped_unchanged += 1
            continue
        same = vanished.get((obj.etag, obj.size)) if before is None else None
        if same:  # moved: the same content under a new name
            old = same.pop(0)
            plan.moved[obj.uri] = old
            plan.seen[obj.uri] = {"etag": obj.etag, "size": obj.size, "rows_uri": rows_uri(previous[old], old)}
            continue
        lines = _record_lines(obj, source.limits(), plan)
        complete = remaining is None or len(lines) <= remaining
        if remaining is not None:
            lines = lines[:remaining]
            remaining -= len(lines)
        if complete:  # an object cut by --limit is not recorded, so the next run reads it again
            plan.seen[obj.uri] = {"etag": obj.etag, "size": obj.size}
        if before is not None:
            plan.changed.append(obj.uri)
            if rows_uri(before, obj.uri) != obj.uri:
                plan.moved_rows[obj.uri] = rows_uri(before, obj.uri)
        # a big JSONL object is cut into several items so shards stay near shard_size
        for i in range(0, len(lines), source.shard_size):
            part = lines[i : i + source.shard_size]
            items.append(ShardItem(obj.uri, obj.name, obj.etag, part[0], part[-1] + 1, len(part)))
    plan.shards = _cut(items, source.shard_size)
    plan.deleted = {uri: rows_uri(previous[uri], uri) for uri in sorted(u for us in vanished.values() for u in us)}
    return plan


def _record_lines(obj, limits: Limits, plan: Plan) -> list[int]:  # noqa: ANN001 - a storage.ObjectInfo
    """The record lines of a line-format object ([0] for a one-note file, or for an object the
    read stage will quarantine with its reason); an object with no record is counted as empty."""
    fmt, gz = detect_format(obj.name)
    if fmt not in LINE_FORMATS:
        return [0]
    try:
        lines = record_lines(storage.iter_lines(obj.uri, gz, limits))
    except (RecordError, OSError):
        return [0]
    plan.empty += not lines
    return lines


def _cut(items: list[ShardItem], shard_size: int) -> list[list[ShardItem]]:
    shards: list[list[ShardItem]] = []
    current: list[ShardItem] = []
    count = 0
    for item in items:
        if current and count + item.n_records > shard_size:
            shards.append(current)
            current, count = [], 0
        current.append(item)
        count += item.n_records
    if current:
        shards.append(current)
    return shards


def save_plan(uri: str, plan: Plan, limits: Limits) -> None:
    doc = {"shards": [[asdict(i) for i in s] for s in plan.shards], "seen": plan.seen, "changed": plan.changed,
           "shard_ids": plan.shard_ids, "limits": asdict(limits), "moved": plan.moved, "deleted": plan.deleted,
           "moved_rows": plan.moved_rows, "remove_deleted": plan.remove_deleted}  # fmt: skip
    storage.write_bytes(uri, json.dumps(doc).encode())


def load_plan(uri: str) -> dict:
    return json.loads(storage.read_bytes(uri))


def load_shard(plan: str | dict, index: int) -> list[ShardItem]:
    """The items of shard `index` of a plan (its URI, or the plan already loaded)."""
    doc = load_plan(plan) if isinstance(plan, str) else plan
    return [ShardItem(**i) for i in doc["shards"][index]]
