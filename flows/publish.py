"""A run's publish step (finalize): the rows its shards staged go into the Delta tables, one commit
per table, each replacing the rows of the objects the run read.

- `quarantine`, `notes`: the rows whose `source_key` is one of the objects read (changed objects,
  every object on a full refresh, moved objects that changed, deleted objects with
  `source.deleted: remove`) are replaced by the run's rows for them.
- `facts_ungrounded`, `facts`: the rows of those objects' notes (the notes the table holds for
  them now, and the run's own notes) are replaced by the run's facts.

Facts go before notes: a run killed between the commits leaves the old notes rows, so its rerun
finds their keys again and removes their facts (notes first would leave facts no rerun finds).
Every commit is a replace by predicate, so a commit made twice gives the same rows: a rerun after
a kill at any point, or a retried task, never duplicates a row. Nothing of a run is in the tables
before finalize; its rows are in `_staging/shards/<shard id>/` until then.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc

from flows import delta, storage
from flows.layout import OutputLayout
from transforms import tables

# in commit order
DATA_TABLES = (("quarantine", tables.QUARANTINE), ("facts_ungrounded", tables.FACTS_UNGROUNDED),
               ("facts", tables.FACTS), ("notes", tables.NOTES))  # fmt: skip


# the key columns finalize reads from the staged rows, once, for the ids and for the predicates
KEY_COLUMNS = {"notes": ["note_key", "patient_key", "run_id"], "facts": ["note_key", "fact_id"],
               "facts_ungrounded": ["note_key"]}  # fmt: skip


def staged_keys(output_uri: str, shard_ids: list[str]) -> dict[str, pa.Table]:
    """The KEY_COLUMNS of the shards' staged rows, by table (each staged part read once)."""
    layout = OutputLayout(output_uri)
    out = {}
    for table, columns in KEY_COLUMNS.items():
        empty = pa.schema([dict(DATA_TABLES)[table].field(c) for c in columns]).empty_table()
        out[table] = pa.concat_tables([empty, *(storage.read_parquet(layout.shard_rows(sid, table), columns)
                                                for sid in shard_ids)])  # fmt: skip
    return out


def publish_rows(output_uri: str, run_id: str, shard_ids: list[str], keys: dict[str, pa.Table], read: set[str],
                 compression: str = "zstd") -> tuple[int, dict[str, int]]:  # fmt: skip
    """Commit the shards' staged rows (`keys`: their key columns, from `staged_keys`); `read` are
    the source keys of the objects whose rows they replace. Returns (notes rows of earlier runs
    replaced, each table's version after its commit)."""
    layout = OutputLayout(output_uri)
    new_notes = {k for t in KEY_COLUMNS for k in keys[t]["note_key"].to_pylist()}
    stale, superseded = _held_for(layout, read, set(keys["notes"]["run_id"].to_pylist()))
    by_source = delta.sql_in("source_key", read) if read else None
    by_note = delta.sql_in("note_key", stale | new_notes) if read else None
    versions = {}
    for table, schema in DATA_TABLES:
        predicate = by_note if table.startswith("facts") else by_source
        parts = [layout.shard_rows(sid, table) for sid in shard_ids]
        versions[table] = delta.replace(layout.table(table), schema, partial(_parts, parts), predicate, run_id, compression)
    return superseded, versions


def _parts(uris: list[str]) -> Iterator[pa.Table]:
    for uri in uris:
        yield storage.read_parquet(uri)


def _held_for(layout: OutputLayout, read: set[str], new_runs: set[str]) -> tuple[set[str], int]:
    """The note keys `notes` holds now for the objects `read`, and how many of those rows earlier
    runs wrote (superseded: not a row this run already committed, were it retried)."""
    if not read:
        return set(), 0
    held = delta.read(layout.table("notes"), tables.NOTES, ["note_key", "run_id"],
                      filter=pc.field("source_key").isin(sorted(read)))  # fmt: skip
    earlier = pc.invert(pc.is_in(held["run_id"], value_set=pa.array(sorted(new_runs), pa.string())))
    return set(held["note_key"].to_pylist()), pc.sum(earlier.cast(pa.int64())).as_py() or 0
