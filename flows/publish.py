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


def publish_rows(output_uri: str, run_id: str, shard_ids: list[str], read: set[str],
                 compression: str = "zstd") -> tuple[int, dict[str, int]]:  # fmt: skip
    """Commit the shards' staged rows; `read` are the source keys of the objects whose rows they
    replace. Returns (notes rows of earlier runs replaced, each table's version after its commit)."""
    layout = OutputLayout(output_uri)
    staged = {t: [layout.shard_rows(sid, t) for sid in shard_ids] for t, _ in DATA_TABLES}
    new_notes, new_runs = _staged_keys(staged)
    stale, superseded = _held_for(layout, read, new_runs)
    by_source = delta.sql_in("source_key", read) if read else None
    by_note = delta.sql_in("note_key", stale | new_notes) if read else None
    versions = {}
    for table, schema in DATA_TABLES:
        predicate = by_note if table.startswith("facts") else by_source
        versions[table] = delta.replace(layout.table(table), schema, partial(_parts, staged[table]), predicate, run_id, compression)
    return superseded, versions


def _parts(uris: list[str]) -> Iterator[pa.Table]:
    for uri in uris:
        yield storage.read_parquet(uri)


def _staged_keys(staged: dict[str, list[str]]) -> tuple[set[str], set[str]]:
    """The note keys of the staged notes and facts, and the runs that computed the staged notes
    (this run, and interrupted runs whose shards it kept)."""
    notes: set[str] = set()
    runs: set[str] = set()
    for table in ("notes", "facts", "facts_ungrounded"):
        for uri in staged[table]:
            columns = ["note_key", "run_id"] if table == "notes" else ["note_key"]
            t = storage.read_parquet(uri, columns)
            notes.update(t["note_key"].to_pylist())
            if table == "notes":
                runs.update(t["run_id"].to_pylist())
    return notes, runs


def _held_for(layout: OutputLayout, read: set[str], new_runs: set[str]) -> tuple[set[str], int]:
    """The note keys `notes` holds now for the objects `read`, and how many of those rows earlier
    runs wrote (superseded: not a row this run already committed, were it retried)."""
    if not read:
        return set(), 0
    held = delta.read(layout.table("notes"), tables.NOTES, ["note_key", "run_id"],
                      filter=pc.field("source_key").isin(sorted(read)))  # fmt: skip
    earlier = pc.invert(pc.is_in(held["run_id"], value_set=pa.array(sorted(new_runs), pa.string())))
    return set(held["note_key"].to_pylist()), pc.sum(earlier.cast(pa.int64())).as_py() or 0
