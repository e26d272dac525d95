"""The `ids` table: OMOP integer ids (transforms.omop) for the notes, facts and patients of an
output, assigned in each run's finalize after supersede, before the run is published. A run that dies before
its run manifest has its ids part removed by the next run (tasks._drop_unfinished_runs), which
assigns the same ids again."""

from __future__ import annotations

import pyarrow as pa

from flows import storage
from flows.layout import OutputLayout
from transforms import tables
from transforms.omop import new_ids

# kind -> (table, column) its keys come from
KINDS = {"note": ("notes", "note_key"), "fact": ("facts", "fact_id"), "person": ("notes", "patient_key")}


def registered(output_uri: str) -> dict[str, dict[str, int]]:
    """Every id assigned so far, by kind."""
    parts = [p for p in storage.list_objects(OutputLayout(output_uri).table("ids"), missing_ok=True)
             if p.name.endswith(".parquet")]  # fmt: skip
    out: dict[str, dict[str, int]] = {k: {} for k in KINDS}
    if parts:
        t = pa.concat_tables([storage.read_parquet(p.uri, ["kind", "key", "id"]) for p in parts])
        for kind, key, i in zip(*(t[c].to_pylist() for c in ("kind", "key", "id")), strict=True):
            out.setdefault(kind, {})[key] = i
    return out


def assign_ids(output_uri: str, run_id: str, compression: str = "zstd") -> int:
    """Ids for every key in the output's tables that has none yet (this run's rows, and on the first
    run after an upgrade, every older row); returns how many."""
    layout = OutputLayout(output_uri)
    known = registered(output_uri)
    rows = []
    for kind, (table, column) in KINDS.items():
        keys: set[str] = set()
        for part in storage.list_objects(layout.table(table), missing_ok=True):
            if part.name.endswith(".parquet"):
                keys.update(k for k in storage.read_parquet(part.uri, [column])[column].to_pylist() if k)
        rows += [{"kind": kind, "key": k, "id": i, "run_id": run_id} for k, i in new_ids(known[kind], keys).items()]
    # written empty or not, like every table's parts: sql/views.sql then runs in a plain DuckDB session
    storage.write_parquet(tables.build_table(rows, tables.IDS), layout.run_file("ids", run_id), compression)
    return len(rows)
