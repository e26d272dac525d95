#!/usr/bin/env python
"""What publishing costs on the Delta tables (flows/delta.py): a nightly run that re-reads some
changed objects replaces their rows by predicate in one commit; a first run only appends. Both
are timed in the same process on the same rows, so the ratio is what the predicate costs.

    python benchmarks/bench_publish.py [--notes 20000] [--changed 0.1] [--repeats 3]

A notes table of `--notes` rows (10 notes per object, ~1.5 kB of synthetic text each, no PHI) is
built; then, per repeat: `append` commits `changed` x notes new rows (the baseline), `replace`
commits the same number of rows replacing the rows of `changed` x objects (a predicate over that
many keys), and `full` replaces every object's rows (a full refresh: a predicate over every key).
Prints seconds (best of the repeats) and the ratios to `append`, as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import delta  # noqa: E402
from transforms import tables  # noqa: E402

TEXT = ("Assessment: type 2 diabetes, stable. Plan: continue metformin 500 mg po bid, recheck A1c in three "
        "months. Vitals: BP 128/76, HR 72. ") * 12  # fmt: skip


def _rows(objects: range, per_object: int, tag: str) -> list[dict]:
    return [{"note_key": f"{tag}-{o:07d}-{i}", "patient_key": f"p{o % 997}", "source_key": f"s{o:07d}",
             "text": TEXT, "run_id": tag, "n_facts": 3} for o in objects for i in range(per_object)]  # fmt: skip


def _commit(uri: str, rows: list[dict], predicate: str | None, tag: str) -> float:
    batch = tables.build_table(rows, tables.NOTES)
    t0 = time.perf_counter()
    delta.replace(uri, tables.NOTES, lambda: iter([batch]), predicate, tag)
    return time.perf_counter() - t0


def run(notes: int, changed: float, repeats: int, root: Path) -> dict:
    per_object = 10
    n_objects = max(1, notes // per_object)
    n_changed = max(1, int(n_objects * changed))
    uri = str(root / "notes")
    for lo in range(0, n_objects, 1000):  # the table as earlier runs left it: several files
        _commit(uri, _rows(range(lo, min(lo + 1000, n_objects)), per_object, "build"), None, "build")
    best = {"append": float("inf"), "replace": float("inf"), "full": float("inf")}
    for r in range(repeats):
        extra = range(10_000_000 + r * n_changed, 10_000_000 + (r + 1) * n_changed)
        best["append"] = min(best["append"], _commit(uri, _rows(extra, per_object, f"a{r}"), None, f"a{r}"))
        picked = range(r * n_changed % n_objects, r * n_changed % n_objects + n_changed)
        keys = delta.sql_in("source_key", [f"s{o:07d}" for o in picked])
        best["replace"] = min(best["replace"], _commit(uri, _rows(picked, per_object, f"r{r}"), keys, f"r{r}"))
    every = delta.sql_in("source_key", [f"s{o:07d}" for o in range(n_objects)])
    best["full"] = _commit(uri, _rows(range(n_objects), per_object, "full"), every, "full")
    held = delta.read(uri, tables.NOTES, ["note_key"]).num_rows
    assert held == notes // per_object * per_object + repeats * n_changed * per_object, held  # nothing doubled
    return {"notes": n_objects * per_object, "objects": n_objects, "objects_changed": n_changed,
            "seconds": {k: round(v, 3) for k, v in best.items()},
            "replace_over_append": round(best["replace"] / best["append"], 2),
            "full_refresh_over_append": round(best["full"] / best["append"], 2),
            "full_refresh_rows_per_s": round(n_objects * per_object / best["full"])}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--notes", type=int, default=20_000)
    p.add_argument("--changed", type=float, default=0.1, help="share of objects a nightly run re-reads")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        print(json.dumps(run(a.notes, a.changed, a.repeats, Path(tmp)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
