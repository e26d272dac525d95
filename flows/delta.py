"""The output's tables as Delta Lake tables (delta-rs, the `deltalake` package), local or on S3.

Every write is one commit to the table's transaction log, and every commit of a run replaces
rows by a predicate (`replace`): the rows the predicate matches go and the new rows come in the
same commit, so a commit done twice (a retried task, a rerun after a crash) leaves the same rows.
Each commit carries the run id in its metadata (`chartsift.run_id`), so a table's history says
which run wrote each version, and `as_of` loads the tables as they were when a run published.

On S3 the commit file is written with a conditional PUT (If-None-Match, object_store's `etag`
mode): two writers can never both write version N. chartsift also holds its output lock, so in
practice there is one writer per output.

Errors from delta-rs are re-raised as TransientError/TerminalError naming the table and the error
type only: their messages can quote rows (a failed check previews the data), and rows are notes.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pyarrow as pa

from flows import storage
from transforms.errors import TerminalError, TransientError

RUN_ID_KEY = "chartsift.run_id"
_CODECS = {"zstd": "ZSTD", "snappy": "SNAPPY", "gzip": "GZIP", "none": "UNCOMPRESSED", "lz4": "LZ4_RAW", "brotli": "BROTLI"}


def storage_options(uri: str) -> dict[str, str] | None:
    """delta-rs's S3 options: the endpoint and region of the run's S3 settings (else the standard
    AWS environment), credentials from the environment, conditional PUT for commits."""
    if not storage.is_s3(uri):
        return None
    s3 = storage.s3_settings()
    opts = {"conditional_put": "etag", "AWS_REGION": s3.region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"}
    endpoint = storage.s3_endpoint()
    if endpoint:
        opts["AWS_ENDPOINT_URL"] = endpoint
        opts["AWS_ALLOW_HTTP"] = "true" if endpoint.startswith("http://") else "false"
        opts["AWS_VIRTUAL_HOSTED_STYLE_REQUEST"] = "false"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        if os.environ.get(name):
            opts[name] = os.environ[name]
    if s3.sse != "none":
        opts["AWS_SERVER_SIDE_ENCRYPTION"] = s3.sse
        if s3.sse == "aws:kms" and s3.sse_kms_key_id:
            opts["AWS_SSE_KMS_KEY_ID"] = s3.sse_kms_key_id
    return opts


def _error(table: str, action: str, exc: BaseException) -> Exception:
    """The error to raise for a delta-rs failure: the type only (see the module docstring).
    A commit conflict or a storage error may pass on retry; a schema or predicate error will not."""
    from deltalake.exceptions import CommitFailedError, SchemaMismatchError

    name = type(exc).__name__
    where = Path(table).name
    text = str(exc)
    if isinstance(exc, SchemaMismatchError | TypeError | ValueError) or "Invalid data found" in text:
        return TerminalError(f"Delta {action} of table {where} refused ({name})")
    if isinstance(exc, CommitFailedError | OSError) or any(m in text for m in _TRANSIENT):
        return TransientError(f"Delta {action} of table {where} failed ({name}); a retry commits it again")
    return TerminalError(f"Delta {action} of table {where} failed ({name})")


# how delta-rs and object_store say a storage call failed (the call, not the data)
_TRANSIENT = ("Generic S3 error", "error sending request", "Connection reset", "timed out", "HTTP error",
              "Service Unavailable", "Internal Server Error", "SlowDown")


def open_table(uri: str, as_of: dt.datetime | int | None = None):  # noqa: ANN201 - a DeltaTable or None
    """The table at `uri` (its latest version, or the one current at `as_of`: a version number or a
    time), or None if no table is there yet (or none existed at that time)."""
    from deltalake import DeltaTable

    opts = storage_options(uri)
    try:
        if not DeltaTable.is_deltatable(uri, storage_options=opts):
            return None
        table = DeltaTable(uri, storage_options=opts)
        if as_of is not None:
            if isinstance(as_of, dt.datetime) and _history(table)[0]["committed_at"] > as_of:
                return None
            table.load_as_version(as_of)
        return table
    except Exception as exc:  # noqa: BLE001 - classified, message dropped
        raise _error(uri, "read", exc) from None


def read(uri: str, schema: pa.Schema, columns: list[str] | None = None, filter=None) -> pa.Table:  # noqa: A002, ANN001
    """Rows of the table (the columns asked for, a pyarrow `filter` expression applied while
    scanning); an empty table of `schema` when there is no table yet."""
    table = open_table(uri)
    if table is None:
        empty = pa.Table.from_batches([], schema)
        return empty.select(columns) if columns else empty
    try:
        return dataset(table, uri).to_table(columns=columns, filter=filter)
    except Exception as exc:  # noqa: BLE001
        raise _error(uri, "read", exc) from None


def dataset(table, uri: str):  # noqa: ANN001, ANN201 - a DeltaTable in, a pyarrow Dataset out
    """The table's current files (as of the version it is loaded at) as a pyarrow dataset read by
    pyarrow's own local or S3 filesystem. chartsift's tables have no partitions, deletion vectors or
    column mapping, so the files the log lists are the rows. (delta-rs's `to_pyarrow_dataset`
    reads through a Python filesystem handler; a process that used it aborted at exit now and then,
    "terminate called without an active exception", 1 run in 8 here.)"""
    import pyarrow.dataset as ds

    schema = pa.schema(table.schema().to_arrow())
    files = table.file_uris()
    if not storage.is_s3(uri):
        return ds.dataset([f.removeprefix("file://") for f in files], schema=schema, format="parquet")
    return ds.dataset([f.removeprefix("s3://") for f in files], schema=schema, format="parquet",
                      filesystem=_arrow_s3(uri))  # fmt: skip


def _arrow_s3(uri: str):  # noqa: ANN202 - a pyarrow S3FileSystem with the settings delta-rs gets
    from urllib.parse import urlparse

    from pyarrow import fs

    opts = storage_options(uri) or {}
    kw = {"region": opts.get("AWS_REGION"), "access_key": opts.get("AWS_ACCESS_KEY_ID"),
          "secret_key": opts.get("AWS_SECRET_ACCESS_KEY"), "session_token": opts.get("AWS_SESSION_TOKEN")}  # fmt: skip
    if opts.get("AWS_ENDPOINT_URL"):
        u = urlparse(opts["AWS_ENDPOINT_URL"])
        kw.update(endpoint_override=u.netloc, scheme=u.scheme or "https", force_virtual_addressing=False)
    return fs.S3FileSystem(**{k: v for k, v in kw.items() if v is not None})


def version(uri: str) -> int | None:
    table = open_table(uri)
    return None if table is None else table.version()


def sql_in(column: str, values: Iterable[str]) -> str:
    """`column IN ('a', 'b', ...)`: keys are hex digests and run ids, quoted all the same."""
    quoted = ", ".join("'" + str(v).replace("'", "''") + "'" for v in sorted(set(values)))
    return f"{column} IN ({quoted})" if quoted else "false"


def replace(uri: str, schema: pa.Schema, batches: Callable[[], Iterator[pa.Table]], predicate: str | None, run_id: str,
            compression: str = "zstd") -> int:  # fmt: skip
    """One commit: the rows matching `predicate` are removed and the rows `batches()` yields appended (with no
    predicate, only appended). Every new row must match the predicate. A table that does not exist
    yet is created, even with no rows, so readers find it. Returns the table's version after the
    commit. `batches` is called again for a commit made again, so the rows stream from where they
    are and are never all held in memory."""
    from deltalake import CommitProperties, WriterProperties, write_deltalake

    props = CommitProperties(custom_metadata={RUN_ID_KEY: run_id})
    writer = WriterProperties(compression=_CODECS.get(compression, "ZSTD"))

    def commit() -> None:
        exists = open_table(uri) is not None
        mode = "overwrite" if predicate is not None and exists else "append"
        data = pa.RecordBatchReader.from_batches(schema, _batches(schema, batches()))
        write_deltalake(uri, data, mode=mode, predicate=predicate if mode == "overwrite" else None,
                        schema_mode="merge", storage_options=storage_options(uri), commit_properties=props,
                        writer_properties=writer)  # fmt: skip

    _with_retries(uri, "commit", commit)
    _restrict_local(uri)
    return version(uri)


def _with_retries(uri: str, action: str, fn, attempts: int = 4) -> None:  # noqa: ANN001
    """`fn` (a commit by predicate, which gives the same rows however often it is made), made again
    after a transient failure: a connection reset on the commit file's PUT, which object_store does
    not retry, or a conflict with our own commit whose answer was lost."""
    for attempt in range(1, attempts + 1):
        try:
            fn()
            return
        except Exception as exc:  # noqa: BLE001 - classified, message dropped
            err = _error(uri, action, exc)
            if not isinstance(err, TransientError) or attempt == attempts:
                raise err from None
            time.sleep(0.5 * 2**attempt)


def _batches(schema: pa.Schema, tables: Iterator[pa.Table]) -> Iterator[pa.RecordBatch]:
    for t in tables:
        yield from t.select(schema.names).cast(schema).to_batches()


def delete(uri: str, predicate: str, run_id: str) -> int | None:
    """One commit removing the rows that match; None if there is no table (nothing to remove)."""
    from deltalake import CommitProperties

    table = open_table(uri)
    if table is None:
        return None
    props = CommitProperties(custom_metadata={RUN_ID_KEY: run_id})
    _with_retries(uri, "delete", lambda: open_table(uri).delete(predicate, commit_properties=props))
    _restrict_local(uri)
    return version(uri)


def commits(uri: str) -> list[dict]:
    """The table's commits, oldest first: version, time (UTC), operation and the run that made it."""
    table = open_table(uri)
    return [] if table is None else _history(table)


def _history(table) -> list[dict]:  # noqa: ANN001 - a DeltaTable
    out = [{"version": c["version"], "committed_at": dt.datetime.fromtimestamp(c["timestamp"] / 1000, dt.UTC),
            "operation": c.get("operation"), "run_id": c.get(RUN_ID_KEY)} for c in table.history()]  # fmt: skip
    return sorted(out, key=lambda c: c["version"])


def _restrict_local(uri: str) -> None:
    """delta-rs creates files with the process umask; chartsift's tables are the owner's and the
    research group's only (storage.local_mode), like every other file it writes."""
    if storage.is_s3(uri):
        return
    for p in [Path(uri), *Path(uri).rglob("*")]:
        mode = 0o750 if p.is_dir() else storage.local_mode(p)
        if p.stat().st_mode & 0o777 != mode:
            p.chmod(mode)


def compact_and_vacuum(uri: str, job: str, vacuum_hours: int | None) -> dict | None:
    """Compact the table's small files (a commit only when there is something to compact), then,
    with `vacuum_hours`, delete the files that only versions older than that need. None when there
    is no table."""
    from deltalake import CommitProperties

    table = open_table(uri)
    if table is None:
        return None
    try:
        metrics = table.optimize.compact(commit_properties=CommitProperties(custom_metadata={RUN_ID_KEY: job}))
        vacuumed = []
        if vacuum_hours is not None:
            vacuumed = table.vacuum(retention_hours=vacuum_hours, dry_run=False, enforce_retention_duration=False)
    except Exception as exc:  # noqa: BLE001
        raise _error(uri, "maintenance", exc) from None
    _restrict_local(uri)
    return {"files_removed": metrics.get("numFilesRemoved", 0), "files_added": metrics.get("numFilesAdded", 0),
            "files_vacuumed": len(vacuumed), "version": version(uri)}  # fmt: skip
