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


def _columns(con: duckdb.DuckDBPyConnection, glob: str) -> list[str]:
    return [r[0] for r in con.sql(f"describe select * from read_parquet('{glob}', union_by_name=true)").fetchall()]


def compare_table(before: Path, after: Path, table: str) -> tuple[int, int, int]:
    """(rows, rows only before, rows only after) of one table, volatile columns aside."""
    con = duckdb.connect()
    globs = [str(d / table / "*.parquet") for d in (before, after)]
    present = [any((d / table).glob("*.parquet")) for d in (before, after)]
    if not any(present):
        return 0, 0, 0
    if not all(present):
        side = "before" if present[0] else "after"
        raise SystemExit(f"{table}: rows exist only {side}")
    cols = [c for c in _columns(con, globs[0]) if c not in VOLATILE]
    if cols != [c for c in _columns(con, globs[1]) if c not in VOLATILE]:
        raise SystemExit(f"{table}: columns differ")
    sel = ", ".join(f'"{c}"' for c in cols)
    b, a = (f"(select {sel} from read_parquet('{g}', union_by_name=true))" for g in globs)
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
