"""Shard planning: list the source, count records, cut the list into shards of about
`shard_size` notes. The plan is written beside the output and tasks get its URI and a shard
index, so object names never travel as Prefect parameters."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from flows import storage
from flows.settings import SourceSettings
from transforms.parse import count_records, detect_format


@dataclass(frozen=True)
class ShardItem:
    uri: str
    name: str
    etag: str
    first_line: int  # JSONL: [first_line, stop_line) ; one-note files: 0, 1
    stop_line: int
    n_records: int


def plan_shards(source: SourceSettings) -> list[list[ShardItem]]:
    items: list[ShardItem] = []
    remaining = source.limit
    for obj in storage.list_objects(source.uri):
        if remaining is not None and remaining <= 0:
            break
        fmt, _ = detect_format(obj.name)
        lines = count_records(obj.name, storage.read_bytes(obj.uri)) if fmt == "jsonl" else [0]
        if remaining is not None:
            lines = lines[:remaining]
            remaining -= len(lines)
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
    return shards


def save_plan(uri: str, shards: list[list[ShardItem]]) -> None:
    storage.write_bytes(uri, json.dumps([[asdict(i) for i in s] for s in shards]).encode())


def load_shard(uri: str, index: int) -> list[ShardItem]:
    return [ShardItem(**i) for i in json.loads(storage.read_bytes(uri))[index]]
