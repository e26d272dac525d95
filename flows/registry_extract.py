"""Nightly registry extracts: select a profile's rows from the output with DuckDB (cohort and
facts with clinical semantics, columns its data-use level allows), re-key them with the
registry's own pseudonyms, and publish a self-describing package: data files, `datapackage.json`
and `data-dictionary.md` under an attempt folder, then the manifest last with a conditional put,
so a second publish of the same date and revision never overwrites the first. A revision
(`revision=N`) supersedes an earlier delivery of the same date and says which one it replaces."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import __version__, ledger, storage
from flows.engines.models import GEMMA3_ID, SMOLLM2_ID
from flows.query import connect
from flows.settings import load_settings
from flows.tasks import SHARD_TASK
from transforms.delivery import DeliveryFile, datapackage, delivery_dictionary
from transforms.errors import ConfigError
from transforms.registry import Profile, load_profile, pseudonymize, selection_sql, sha256
from transforms.schema import SCHEMA_VERSION

PROFILES = Path(__file__).resolve().parents[1] / "deployments" / "registries"
DEV_MODELS = {SMOLLM2_ID, GEMMA3_ID}
DEV_MODEL_NOTICE = ("Facts in this delivery were extracted by a tiny development model ({models}); they are not fit "
                    "for research or registration.")  # fmt: skip


def manifest_name(revision: int) -> str:
    return "manifest.json" if revision == 0 else f"manifest-rev{revision}.json"


def _csv_ready(table: pa.Table) -> pa.Table:
    """CSV has no map type: `attributes` is written as JSON text."""
    if "attributes" not in table.column_names:
        return table
    i = table.column_names.index("attributes")
    return table.set_column(i, "attributes", [[json.dumps(dict(v or [])) for v in table["attributes"].to_pylist()]])


def _encode(table: pa.Table, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "parquet":
        pq.write_table(table, buf, compression="zstd")
    else:
        pacsv.write_csv(_csv_ready(table), buf)
    return buf.getvalue()


PROVENANCE = ("run_id", "model_id", "model_revision", "deid_version")


def _select(con, profile: Profile) -> tuple[pa.Table, dict]:  # noqa: ANN001 - a DuckDB connection
    """The profile's rows, and the provenance of those rows (versions, and the runs that
    contributed them, not every run on the output), from one query."""
    extra = tuple(c for c in PROVENANCE if c not in profile.columns)
    sql, params = selection_sql(profile, columns=(*profile.columns, *extra))
    table = con.execute(sql, params).fetch_arrow_table()
    rows = set(zip(*(table[c].to_pylist() for c in PROVENANCE), strict=True))
    models = sorted({f"{m} {r}" for _, m, r, _ in rows})
    notice = DEV_MODEL_NOTICE.format(models=", ".join(models)) if {m for _, m, _, _ in rows} & DEV_MODELS else None
    return table.select(list(profile.columns)), {
        "run_ids": sorted({r for r, _, _, _ in rows}), "notice": notice,
        "versions": {"chartsift": __version__, "schema": SCHEMA_VERSION, "models": models, "adapters": [],
                     "deid": sorted({d for _, _, _, d in rows})}}  # fmt: skip


def _site_secret(output: str) -> bytes:
    """The site secret the output was written under (its key id must match): the registry's keys
    are derived from it."""
    settings = load_settings(output=output)
    problem = settings.deid.secret_problem()
    if problem:
        raise ConfigError(f"registry deliveries are keyed by the site secret: {problem}")
    ledger.verify_key(output, settings.deid.key_id)
    return settings.deid.secret.get_secret_value().encode()


@task(name="publish-registry-extract", **{**SHARD_TASK, "cache_policy": NO_CACHE})
def publish(profile_path: str, output: str, delivery: str, date: str, revision: int = 0) -> dict:
    profile = load_profile(profile_path)
    base = storage.join(delivery, profile.name, date)
    manifest_uri = storage.join(base, manifest_name(revision))
    if storage.exists(manifest_uri):
        return {"status": "already_published", "manifest": manifest_uri}
    if revision and not storage.exists(storage.join(base, manifest_name(revision - 1))):
        raise ConfigError(f"revision {revision} of {profile.name} {date} replaces revision {revision - 1}, which "
                          "was never published")  # fmt: skip
    selected, provenance = _select(connect(output), profile)
    table = pseudonymize(selected, _site_secret(output), profile.name)
    attempt = uuid.uuid4().hex[:12]
    files = []
    for fmt in dict.fromkeys(("csv", *profile.formats)):  # CSV always: the package's tabular resource
        data = _encode(table, fmt)
        rel = f"{attempt}/{profile.name}-{date}.{fmt}"
        storage.write_bytes(storage.join(base, rel), data)
        files.append(DeliveryFile(rel, fmt, table.num_rows, len(data), sha256(data)))
    meta = {"created": dt.datetime.now(dt.UTC).isoformat(), "revision": revision,
            "replaces": manifest_name(revision - 1) if revision else None, **provenance}  # fmt: skip
    # the package sits beside its files, in the attempt folder: its paths are relative to it
    package = datapackage(profile, date, [DeliveryFile(Path(f.path).name, f.format, f.rows, f.bytes, f.sha256)
                                          for f in files], meta)  # fmt: skip
    storage.write_bytes(storage.join(base, attempt, "datapackage.json"), json.dumps(package, indent=2).encode())
    storage.write_bytes(storage.join(base, attempt, "data-dictionary.md"), delivery_dictionary(profile).encode())
    manifest = {"profile": profile.name, "date": date, "created_at": meta["created"], "revision": revision,
                "replaces": meta["replaces"], "schema_version": SCHEMA_VERSION, "columns": list(profile.columns),
                "files": [f.__dict__ for f in files], "package": f"{attempt}/datapackage.json",
                "row_count": table.num_rows, "source_run_ids": meta["run_ids"], "source": output}  # fmt: skip
    if not storage.create_exclusive(manifest_uri, json.dumps(manifest, indent=2).encode()):
        storage.delete_prefix(storage.join(base, attempt))  # lost a race: no manifest names our attempt
        return {"status": "already_published", "manifest": manifest_uri}
    get_run_logger().info("registry %s %s rev %d: %d rows in %d files", profile.name, date, revision,
                          table.num_rows, len(files))  # fmt: skip
    return {"status": "published", "manifest": manifest_uri, "rows": table.num_rows,
            "package": storage.join(base, attempt, "datapackage.json")}  # fmt: skip


def profile_path(profile: str) -> Path:
    return Path(profile) if profile.endswith(".yaml") else PROFILES / f"{profile}.yaml"


@flow(name="registry-extract")
def registry_extract(profile: str = "cancer", output: str = "out", delivery: str = "deliveries",
                     date: str | None = None, revision: int = 0) -> dict:  # fmt: skip
    """Publish one registry profile's extract for `date` (default: today, UTC); `revision` N > 0
    supersedes revision N - 1 of the same date."""
    return publish(str(profile_path(profile)), output, delivery, date or dt.datetime.now(dt.UTC).date().isoformat(),
                   revision)  # fmt: skip
