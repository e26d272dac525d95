"""DuckDB over chartsift output, local or S3, offline: httpfs comes from the duckdb-extension-httpfs
wheel (no download), credentials and endpoint from the standard AWS environment."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from flows import delta, storage
from flows.engines.models import cache_dir
from transforms import tables
from transforms.errors import QueryError

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


def connect(output_uri: str, vocabulary: str | None = None, as_of: str | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the output's views defined (sql/views.sql), over the tables as
    they are now or, with `as_of`, as they were when a run published (see `resolve_as_of`)."""
    return _connect(output_uri, vocabulary, as_of)[0]


def _connect(output_uri: str, vocabulary: str | None = None, as_of: str | None = None
             ) -> tuple[duckdb.DuckDBPyConnection, set[str]]:  # fmt: skip
    ext_dir = cache_dir() / "duckdb-extensions"
    ext_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"extension_directory": str(ext_dir), "autoinstall_known_extensions": False,
                                 "autoload_known_extensions": False})  # fmt: skip
    output = output_uri.rstrip("/")
    if output.startswith("s3://"):
        _s3_secret(con)
    con.execute("SET VARIABLE chartsift_output = ?", [output])
    missing = _bind_tables(con, output, as_of)
    for stmt in split_statements((SQL_DIR / "views.sql").read_text()):
        con.sql(_bound(stmt, missing))
    if vocabulary:
        _use_vocabulary(con, Path(vocabulary))
    return con, missing


def _s3_secret(con: duckdb.DuckDBPyConnection) -> None:
    """httpfs from its wheel (no download) and an S3 secret from the standard AWS environment."""
    from duckdb_extensions import import_extension

    import_extension("httpfs", con=con)
    con.sql("LOAD httpfs")
    endpoint = os.environ.get("CHARTSIFT_S3__ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL")
    opts = {"KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", ""), "SECRET": os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
            "REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}  # fmt: skip
    if endpoint:
        u = urlparse(endpoint)
        opts.update(ENDPOINT=u.netloc, USE_SSL="true" if u.scheme == "https" else "false", URL_STYLE="path")
    con.sql("CREATE OR REPLACE SECRET chartsift_s3 (TYPE s3, " + ", ".join(f"{k} '{v}'" for k, v in opts.items()) + ")")


# the Delta tables behind the views; chartsift binds each to its snapshot (the latest, or the one
# --as-of names) read by delta-rs; a table not there yet is an empty table of its schema
_SCHEMAS = {"notes": tables.NOTES, "facts": tables.FACTS, "facts_ungrounded": tables.FACTS_UNGROUNDED,
            "quarantine": tables.QUARANTINE, "runs": tables.RUNS, "metrics": tables.METRICS}  # fmt: skip
_PARQUET = {"ids": tables.IDS}  # append-only Parquet folders


def _source(name: str) -> str:
    """How sql/views.sql names a table's data (a plain DuckDB session reads it so)."""
    if name in _PARQUET:
        return f"read_parquet(getvariable('chartsift_output') || '/{name}/*.parquet', union_by_name = true)"
    return f"delta_scan(getvariable('chartsift_output') || '/{name}')"


def _bind_tables(con: duckdb.DuckDBPyConnection, output: str, as_of: str | None) -> set[str]:
    """Register each Delta table's snapshot as `_chartsift_<name>`; returns the Parquet folders and
    the audit log that have no file yet. No notes and no runs table at all is no output."""
    versions = resolve_as_of(output, as_of) if as_of else {}
    absent = set()
    for name, schema in _SCHEMAS.items():
        table = delta.open_table(storage.join(output, name), versions.get(name))
        try:
            data = delta.dataset(table, storage.join(output, name)) if table is not None else pa.Table.from_batches([], schema)
        except FileNotFoundError:
            raise QueryError(f"--as-of {as_of}: the files of that version of {name} were vacuumed "
                             "(chartsift maintain --vacuum-hours)" if as_of else
                             f"a file the {name} table lists is missing: restore it, or rewrite the output") from None  # fmt: skip
        absent |= {name} if table is None else set()
        con.register(f"_chartsift_{name}", data)
    if {"notes", "runs"} <= absent and not as_of:
        raise QueryError(f"no chartsift output at {output} (no notes or runs table): check --output, or run `chartsift run` first")
    missing = set()
    for name, pattern in [(n, f"{output}/{n}/*.parquet") for n in _PARQUET] + [("audit", f"{output}/audit/*.json")]:
        try:
            if not con.execute("SELECT count(*) FROM glob(?)", [pattern]).fetchone()[0]:
                missing.add(name)
        except duckdb.Error as exc:
            raise QueryError(f"cannot list the output at {output}: {_first_line(exc)}") from None
    for name in missing & set(_PARQUET):
        con.register(f"_chartsift_{name}", pa.Table.from_batches([], _PARQUET[name]))
    return missing


def _bound(stmt: str, missing: set[str]) -> str:
    """`stmt` reading the registered snapshots in place of the tables sql/views.sql names."""
    for name in [*_SCHEMAS, *(missing & set(_PARQUET))]:
        stmt = stmt.replace(_source(name), f"_chartsift_{name}")
    if "audit" in missing and "read_json_auto(getvariable('chartsift_output') || '/audit/" in stmt:
        stmt = "CREATE OR REPLACE VIEW audit AS SELECT NULL::VARCHAR AS run_id, NULL::VARCHAR AS event WHERE false"
    return stmt


def resolve_as_of(output: str, as_of: str) -> dict[str, int | dt.datetime]:
    """The snapshot of each table that `--as-of` names:
    - a run id: the versions that run's `runs` row recorded, and `runs` as of its own commit;
    - an integer: that version of `notes` (and of the other tables, the versions the run that
      committed it recorded; else as of that commit);
    - an ISO time (2026-12-01 or 2026-12-01T06:00:00+00:00, UTC when no zone): every table as of then."""
    if as_of.isdigit():  # the run that committed that notes version, or the time of its commit
        commit = next((c for c in delta.commits(storage.join(output, "notes")) if c["version"] == int(as_of)), None)
        if commit is None:
            raise QueryError(f"--as-of {as_of}: the notes table has no version {as_of}")
        by_run = resolve_as_of(output, commit["run_id"]) if commit["run_id"] else {}
        if by_run.get("notes") == int(as_of):
            return by_run
        return {name: int(as_of) if name == "notes" else commit["committed_at"] for name in _SCHEMAS}
    runs = delta.commits(storage.join(output, "runs"))
    own = [c for c in runs if c["run_id"] == as_of and c["operation"] != "DELETE"]
    if own:
        row = delta.read(storage.join(output, "runs"), tables.RUNS, ["run_id", "table_versions"],
                         filter=pc.field("run_id") == as_of).to_pylist()  # fmt: skip
        recorded = {k: v for k, v in (row[0]["table_versions"] or []) if v is not None} if row else {}
        at = own[-1]["committed_at"]
        return {name: recorded.get(name, at) for name in _SCHEMAS} | {"runs": own[-1]["version"]}
    try:
        at = dt.datetime.fromisoformat(as_of)
    except ValueError:
        raise QueryError(f"--as-of {as_of}: not a run id of this output, a notes version or an ISO time") from None
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return dict.fromkeys(_SCHEMAS, at)


def _use_vocabulary(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """`chartsift_concept` from an OHDSI Athena export (tab-separated CONCEPT.csv with a header)."""
    path = folder / "CONCEPT.csv"
    if not path.is_file():
        raise QueryError(f"--vocabulary {folder}: no CONCEPT.csv there (an OHDSI Athena export folder)")
    try:
        con.sql("CREATE OR REPLACE VIEW chartsift_concept AS SELECT CAST(concept_id AS INTEGER) AS concept_id, "
                "concept_name, domain_id, vocabulary_id, concept_class_id, standard_concept, concept_code, "
                "nullif(invalid_reason, '') AS invalid_reason "
                f"FROM read_csv('{_quote(str(path))}', delim = '\t', header = true, quote = '', all_varchar = true)")
        con.sql("SELECT count(*) FROM chartsift_concept").fetchone()
    except duckdb.Error as exc:
        raise QueryError(f"--vocabulary: CONCEPT.csv cannot be read: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def split_statements(sql: str) -> list[str]:
    """Statements as DuckDB's own parser splits them (quotes and comments respected)."""
    return [s.query for s in duckdb.extract_statements(sql)]


def run_sql(output_uri: str, sql_or_file: str, vocabulary: str | None = None,
            as_of: str | None = None) -> duckdb.DuckDBPyRelation | None:  # fmt: skip
    """Run SQL text or a .sql file (all its statements) against the output; returns the last result.
    What DuckDB refuses is a QueryError with DuckDB's first line."""
    text = _sql_text(sql_or_file)
    con, missing = _connect(output_uri, vocabulary, as_of)
    rel = None
    try:
        for stmt in split_statements(text):
            rel = con.sql(_bound(stmt, missing))
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from None
    return rel


FORMATS = ("table", "csv", "parquet", "json")
_COPY_OPTIONS = {"csv": "FORMAT csv, HEADER", "parquet": "FORMAT parquet", "json": "FORMAT json"}


def export(output_uri: str, sql_or_file: str, fmt: str, to: str, vocabulary: str | None = None,
           as_of: str | None = None) -> int:  # fmt: skip
    """Run SQL as run_sql does and write its last statement's result to a file (csv with a header,
    parquet, or JSON lines) with one COPY, so the query runs once; returns the rows written. A
    query that fails leaves no file behind."""
    if fmt not in _COPY_OPTIONS:
        raise QueryError(f"--format {fmt} cannot be written to a file: use one of {', '.join(_COPY_OPTIONS)}")
    text = _sql_text(sql_or_file)
    con, missing = _connect(output_uri, vocabulary, as_of)
    Path(to).parent.mkdir(parents=True, exist_ok=True)
    try:
        *before, last = split_statements(text) or [""]
        for stmt in before:
            con.sql(_bound(stmt, missing))
        query = _bound(last, missing).strip().rstrip(";")
        return con.execute(f"COPY ({query}) TO '{_quote(to)}' ({_COPY_OPTIONS[fmt]})").fetchone()[0]
    except duckdb.Error as exc:
        Path(to).unlink(missing_ok=True)
        raise QueryError(_first_line(exc)) from None


def show(rel: duckdb.DuckDBPyRelation, limit: int, as_of: str | None = None) -> None:
    """Print a result's first rows; what fails while the query runs (a relation runs lazily) is a
    QueryError with DuckDB's first line, as in run_sql."""
    try:
        rel.limit(limit).show(max_width=200)
    except duckdb.Error as exc:
        hint = (" (the files of that version were vacuumed: chartsift maintain --vacuum-hours)"
                if as_of and "not found" in str(exc) else "")  # fmt: skip
        raise QueryError(_first_line(exc)[:300] + hint) from None


def _sql_text(sql_or_file: str) -> str:
    if not sql_or_file.endswith(".sql"):
        return sql_or_file
    if not Path(sql_or_file).is_file():
        raise QueryError(f"no SQL file {sql_or_file}")
    return Path(sql_or_file).read_text()


def _quote(path: str) -> str:
    return path.replace("'", "''")
