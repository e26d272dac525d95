"""Shard planning: list the source, count records, cut the list into shards of about
`shard_size` notes. The plan is written beside the output and tasks get its URI and a shard
index, so object names never travel as Prefect parameters."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from flows import storage
from flows.layout import OutputLayout
from flows.settings import SourceSettings
from transforms.errors import RecordError, TerminalError
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


def plan_shards(source: SourceSettings, state: dict | None = None, full_refresh: bool = False) -> Plan:
    """Shards over the objects that are new or changed since `state` (all of them on a full refresh)."""
    previous = (state or {}).get("objects", {})
    items: list[ShardItem] = []
    seen: dict[str, dict] = {}
    changed: list[str] = []
    skipped = 0
    remaining = source.limit
    limits = source.limits()
    listed = empty = 0
    for obj in storage.list_objects(source.uri):
        if remaining is not None and remaining <= 0:
            break
        listed += 1
        before = previous.get(obj.uri)
        if before is not None and not full_refresh and before.get("etag") == obj.etag and before.get("size") == obj.size:
            skipped += 1
            continue
        fmt, gz = detect_format(obj.name)
        lines = [0]
        if fmt in LINE_FORMATS:
            try:
                lines = record_lines(storage.iter_lines(obj.uri, gz, limits))
            except (RecordError, OSError):
                lines = [0]  # one item: the read stage quarantines the object with the reason
            empty += not lines
        complete = True
        if remaining is not None:
            complete = len(lines) <= remaining
            lines = lines[:remaining]
            remaining -= len(lines)
        if complete:  # an object cut by --limit is not recorded, so the next run reads it again
            seen[obj.uri] = {"etag": obj.etag, "size": obj.size}
        if before is not None:
            changed.append(obj.uri)
        # a big JSONL object is cut into several items so shards stay near shard_size
        for i in range(0, len(lines), source.shard_size):
            part = lines[i : i + source.shard_size]
            stop = part[-1] + 1
            items.append(ShardItem(obj.uri, obj.name, obj.etag, part[0], stop, len(part)))
    shards: list[list[ShardItem]] = []
    current: list[ShardItem] = []
    count = 0
    for item in items:
        if current and count + item.n_records > source.shard_size:
            shards.append(current)
            current, count = [], 0
        current.append(item)
        count += item.n_records
    if current:
        shards.append(current)
    return Plan(shards, seen, changed, skipped, listed=listed, empty=empty)


def save_plan(uri: str, plan: Plan, limits: Limits) -> None:
    doc = {"shards": [[asdict(i) for i in s] for s in plan.shards], "seen": plan.seen, "changed": plan.changed,
           "shard_ids": plan.shard_ids, "limits": asdict(limits)}  # fmt: skip
    storage.write_bytes(uri, json.dumps(doc).encode())


def load_plan(uri: str) -> dict:
    return json.loads(storage.read_bytes(uri))


def load_shard(plan: str | dict, index: int) -> list[ShardItem]:
    """The items of shard `index` of a plan (its URI, or the plan already loaded)."""
    doc = load_plan(plan) if isinstance(plan, str) else plan
    return [ShardItem(**i) for i in doc["shards"][index]]
