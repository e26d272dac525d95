"""Outputs written before the tables were Delta Lake tables (see CHANGELOG): each table was a
folder of Parquet parts (`part-<shard id>.parquet`, `run-<run id>.parquet`). The first run of a
newer chartsift on such an output turns each folder into a Delta table holding the same rows, in
one commit per table (metadata `chartsift.run_id` = "upgrade"), then removes the old parts, which
the table does not list. A run killed in between finds the table made and only removes the parts.
`_state/delta-tables.json` then records that there is nothing left to upgrade.
"""

from __future__ import annotations

import json
import logging
import re

import pyarrow as pa
import pyarrow.compute as pc

from flows import delta, storage
from flows.layout import OutputLayout
from transforms import tables

log = logging.getLogger(__name__)

UPGRADE_RUN = "upgrade"
_OLD_PART = re.compile(r"^(part-[0-9a-f]{24}|run-[0-9A-Za-z-]+)\.parquet$")
_TABLES = {"notes": tables.NOTES, "facts": tables.FACTS, "facts_ungrounded": tables.FACTS_UNGROUNDED,
           "quarantine": tables.QUARANTINE, "runs": tables.RUNS, "metrics": tables.METRICS}  # fmt: skip


def upgrade_output(output_uri: str) -> dict[str, int]:
    """Turn every old Parquet-folder table of the output into a Delta table; returns the rows moved
    per table (empty for an output that needs nothing). Once done, the output records it, so later
    runs look for one object instead of listing every table."""
    layout = OutputLayout(output_uri)
    if storage.exists(layout.upgrade_record()):
        return {}
    moved = {}
    for name, schema in _TABLES.items():
        uri = layout.table(name)
        old = [o for o in storage.list_objects(uri, missing_ok=True) if _OLD_PART.match(o.name)]
        if not old:
            continue
        if delta.open_table(uri) is None:
            moved[name] = _convert(uri, schema, [o.uri for o in old])
        elif delta.commits(uri)[0]["run_id"] != UPGRADE_RUN:
            continue  # a table made otherwise: the old-looking files are not ours to remove
        for o in old:
            storage.delete(o.uri)
    storage.write_bytes(layout.upgrade_record(), json.dumps({"upgraded_rows": moved}).encode())
    if moved:
        log.warning("upgraded the output to Delta Lake tables: %s", ", ".join(f"{k} {v} rows" for k, v in moved.items()))
    return moved


def _convert(uri: str, schema: pa.Schema, parts: list[str]) -> int:
    """One commit of every row of the old parts, each part widened to today's schema (a column an
    older chartsift did not write is null)."""
    frames = [_widen(storage.read_parquet(p), schema) for p in parts]
    rows = sum(f.num_rows for f in frames)
    delta.replace(uri, schema, lambda: iter(frames), None, UPGRADE_RUN)
    return rows


def _widen(t: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = []
    for field in schema:
        if field.name in t.column_names:
            columns.append(t[field.name].cast(field.type))
        elif field.nullable:
            columns.append(pa.nulls(t.num_rows, field.type))
        else:  # a required column an older version lacked: only run_id-like keys; keep the part readable
            columns.append(pc.cast(pa.array([""] * t.num_rows), field.type))
    return pa.Table.from_arrays(columns, schema=schema)
