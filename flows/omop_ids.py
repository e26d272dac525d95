"""The `ids` table: OMOP integer ids (transforms.omop) for the notes, facts and patients of an
output, assigned in each run's finalize before its rows are committed. A run that dies before
its run manifest has its ids part removed by the next run (tasks._drop_unfinished_runs), which
assigns the same ids again."""

from __future__ import annotations

import pyarrow as pa

from flows import delta, storage
from flows.layout import OutputLayout
from transforms import tables
from transforms.omop import new_ids

# kind -> (table, column) its keys come from
KINDS = {"note": ("notes", "note_key"), "fact": ("facts", "fact_id"), "person": ("notes", "patient_key")}
SCHEMAS = {"notes": tables.NOTES, "facts": tables.FACTS}


def registered(output_uri: str, but: str | None = None) -> dict[str, dict[str, int]]:
    """Every id assigned so far, by kind (but those of run `but`)."""
    own = OutputLayout(output_uri).run_file("ids", but) if but else None
    parts = [p for p in storage.list_objects(OutputLayout(output_uri).table("ids"), missing_ok=True)
             if p.name.endswith(".parquet") and p.uri != own]  # fmt: skip
    out: dict[str, dict[str, int]] = {k: {} for k in KINDS}
    if parts:
        t = pa.concat_tables([storage.read_parquet(p.uri, ["kind", "key", "id"]) for p in parts])
        for kind, key, i in zip(*(t[c].to_pylist() for c in ("kind", "key", "id")), strict=True):
            out.setdefault(kind, {})[key] = i
    return out


def assign_ids(output_uri: str, run_id: str, staged: dict[str, pa.Table], compression: str = "zstd") -> int:
    """Ids for the keys of this run's staged rows (`staged`: their key columns by table, from
    publish.staged_keys) that have none yet; when the output has no ids at all (its first run, or
    the first after an upgrade), also for every key the tables already hold. Returns how many were
    assigned."""
    layout = OutputLayout(output_uri)
    known = registered(output_uri, but=run_id)  # a retried finalize assigns its own ids again, the same
    everything = not any(known.values())
    keys: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for table in {t for t, _ in KINDS.values()}:
        kinds = [(kind, column) for kind, (t, column) in KINDS.items() if t == table]
        held = [delta.read(layout.table(table), SCHEMAS[table], [c for _, c in kinds])] if everything else []
        for t in [staged[table], *held]:
            for kind, column in kinds:
                keys[kind].update(k for k in t[column].to_pylist() if k)
    rows = [{"kind": kind, "key": k, "id": i, "run_id": run_id}
            for kind in KINDS for k, i in new_ids(known[kind], keys[kind]).items()]  # fmt: skip
    # written empty or not: sql/views.sql then runs in a plain DuckDB session
    storage.write_parquet(tables.build_table(rows, tables.IDS), layout.run_file("ids", run_id), compression)
    return len(rows)
