"""Nightly registry extracts: select a profile's rows from the output with DuckDB, write them to a
delivery prefix, and publish atomically: data files first (under an attempt folder), the manifest
last with a conditional put, so a second publish of the same date never overwrites the first.
Idempotent per (profile, date)."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import storage
from flows.query import connect
from flows.tasks import SHARD_TASK
from transforms.registry import load_profile, selection_sql, sha256
from transforms.schema import SCHEMA_VERSION

PROFILES = Path(__file__).resolve().parents[1] / "deployments" / "registries"


@task(name="publish-registry-extract", **{**SHARD_TASK, "cache_policy": NO_CACHE})
def publish(profile_path: str, output: str, delivery: str, date: str) -> dict:
    profile = load_profile(profile_path)
    base = storage.join(delivery, profile.name, date)
    manifest_uri = storage.join(base, "manifest.json")
    if storage.exists(manifest_uri):
        return {"status": "already_published", "manifest": manifest_uri}
    con = connect(output)
    sql, params = selection_sql(profile)
    table = con.execute(sql, params).fetch_arrow_table()
    run_ids = sorted(r[0] for r in con.sql("SELECT DISTINCT run_id FROM runs").fetchall())
    attempt = uuid.uuid4().hex[:12]
    files = []
    for fmt in profile.formats:
        buf = io.BytesIO()
        if fmt == "parquet":
            pq.write_table(table, buf, compression="zstd")
        else:
            flat = table
            if "attributes" in flat.column_names:  # CSV has no map type: write it as JSON text
                i = flat.column_names.index("attributes")
                flat = flat.set_column(i, "attributes", [[json.dumps(dict(v or [])) for v in flat["attributes"].to_pylist()]])
            pacsv.write_csv(flat, buf)
        data = buf.getvalue()
        rel = f"{attempt}/{profile.name}-{date}.{fmt}"
        storage.write_bytes(storage.join(base, rel), data)
        files.append({"path": rel, "format": fmt, "rows": table.num_rows, "bytes": len(data), "sha256": sha256(data)})
    manifest = {"profile": profile.name, "date": date, "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "schema_version": SCHEMA_VERSION, "columns": list(profile.columns), "files": files,
                "row_count": table.num_rows, "source_run_ids": run_ids, "source": output}  # fmt: skip
    if not storage.create_exclusive(manifest_uri, json.dumps(manifest, indent=2).encode()):
        for f in files:  # lost a race: our attempt's files are not referenced by any manifest
            storage.delete_prefix(storage.join(base, f["path"].split("/")[0]))
        return {"status": "already_published", "manifest": manifest_uri}
    get_run_logger().info("registry %s %s: %d rows in %d files", profile.name, date, table.num_rows, len(files))
    return {"status": "published", "manifest": manifest_uri, "rows": table.num_rows}


@flow(name="registry-extract")
def registry_extract(profile: str = "cancer", output: str = "out", delivery: str = "deliveries",
                     date: str | None = None) -> dict:  # fmt: skip
    """Publish one registry profile's extract for `date` (default: today, UTC)."""
    path = Path(profile) if profile.endswith(".yaml") else PROFILES / f"{profile}.yaml"
    return publish(str(path), output, delivery, date or dt.datetime.now(dt.UTC).date().isoformat())
