#!/usr/bin/env python
"""Compare two chartsift outputs row for row: notes, facts and quarantine equal, run ids and times
aside (for refactors that must not change behaviour).

    python scripts/compare_outputs.py BEFORE_DIR AFTER_DIR [BEFORE_DIR2 AFTER_DIR2 ...]

Prints one line per table and pair (rows compared, rows only in one side) and exits 1 on any
difference. Prints counts and column names only, never note text.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

TABLES = ("notes", "facts", "quarantine")
VOLATILE = {"run_id", "quarantined_at", "started_at", "ended_at", "ingested_at"}


def _rows(d: Path, table: str):  # noqa: ANN202 - a pyarrow Table, or None when the table has no rows file
    """A table of an output: a Delta table (chartsift >= 0.11) or a folder of Parquet parts (older)."""
    import pyarrow.dataset as ds

    if (d / table / "_delta_log").is_dir():
        from deltalake import DeltaTable

        return DeltaTable(str(d / table)).to_pyarrow_table()
    parts = sorted((d / table).glob("*.parquet"))
    return ds.dataset([str(p) for p in parts]).to_table() if parts else None


def compare_table(before: Path, after: Path, table: str) -> tuple[int, int, int]:
    """(rows, rows only before, rows only after) of one table, volatile columns aside."""
    con = duckdb.connect()
    data = [_rows(d, table) for d in (before, after)]
    present = [t is not None for t in data]
    if not any(present):
        return 0, 0, 0
    if not all(present):
        side = "before" if present[0] else "after"
        raise SystemExit(f"{table}: rows exist only {side}")
    cols = [c for c in data[0].column_names if c not in VOLATILE]
    if cols != [c for c in data[1].column_names if c not in VOLATILE]:
        raise SystemExit(f"{table}: columns differ")
    con.register("t_before", data[0])
    con.register("t_after", data[1])
    sel = ", ".join(f'"{c}"' for c in cols)
    b, a = (f"(select {sel} from {name})" for name in ("t_before", "t_after"))
    rows = con.sql(f"select count(*) from {b}").fetchone()[0]
    only_b = con.sql(f"select count(*) from ({b} except all {a})").fetchone()[0]
    only_a = con.sql(f"select count(*) from ({a} except all {b})").fetchone()[0]
    return rows, only_b, only_a


def main(argv: list[str]) -> int:
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    differ = False
    for before, after in zip(argv[::2], argv[1::2], strict=True):
        for table in TABLES:
            rows, only_b, only_a = compare_table(Path(before), Path(after), table)
            same = only_b == only_a == 0
            differ |= not same
            print(f"{'same' if same else 'DIFFER'}  {after}  {table}: {rows} rows, "
                  f"{only_b} only before, {only_a} only after")  # fmt: skip
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
