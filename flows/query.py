"""DuckDB over chartsift output, local or S3, offline: httpfs comes from the duckdb-extension-httpfs
wheel (no download), credentials and endpoint from the standard AWS environment."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pyarrow as pa

from flows.engines.models import cache_dir
from transforms import tables
from transforms.errors import QueryError

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


def connect(output_uri: str, vocabulary: str | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the output's views defined (sql/views.sql)."""
    return _connect(output_uri, vocabulary)[0]


def _connect(output_uri: str, vocabulary: str | None = None) -> tuple[duckdb.DuckDBPyConnection, set[str]]:
    ext_dir = cache_dir() / "duckdb-extensions"
    ext_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"extension_directory": str(ext_dir), "autoinstall_known_extensions": False,
                                 "autoload_known_extensions": False})  # fmt: skip
    if output_uri.startswith("s3://"):
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
    con.execute("SET VARIABLE chartsift_output = ?", [output_uri.rstrip("/")])
    missing = _missing_tables(con, output_uri.rstrip("/"))
    for stmt in split_statements((SQL_DIR / "views.sql").read_text()):
        con.sql(_without_missing(con, stmt, missing))
    if vocabulary:
        _use_vocabulary(con, Path(vocabulary))
    return con, missing


# the tables behind the views; one that has no part yet (an output without quarantined notes, or
# written before facts_ungrounded existed) is an empty table of its schema, so its view still answers
_SCHEMAS = {"notes": tables.NOTES, "facts": tables.FACTS, "facts_ungrounded": tables.FACTS_UNGROUNDED,
            "quarantine": tables.QUARANTINE, "runs": tables.RUNS, "metrics": tables.METRICS, "ids": tables.IDS}  # fmt: skip


def _missing_tables(con: duckdb.DuckDBPyConnection, output: str) -> set[str]:
    """Tables (and the audit log) of the output that have no part yet; none at all is no output."""
    missing = set()
    for name, pattern in [(n, f"{output}/{n}/*.parquet") for n in _SCHEMAS] + [("audit", f"{output}/audit/*.json")]:
        try:
            if not con.execute("SELECT count(*) FROM glob(?)", [pattern]).fetchone()[0]:
                missing.add(name)
        except duckdb.Error as exc:
            raise QueryError(f"cannot list the output at {output}: {_first_line(exc)}") from None
    if {"notes", "runs"} <= missing:
        raise QueryError(f"no chartsift output at {output} (no notes/ or runs/ parts): check --output, or run `chartsift run` first")
    return missing


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


def _without_missing(con: duckdb.DuckDBPyConnection, stmt: str, missing: set[str]) -> str:
    """`stmt` reading an empty table of the schema in place of a table with no part yet."""
    for name in missing & set(_SCHEMAS):
        source = f"read_parquet(getvariable('chartsift_output') || '/{name}/*.parquet', union_by_name = true)"
        if source in stmt:
            con.register(f"_empty_{name}", pa.Table.from_batches([], _SCHEMAS[name]))
            stmt = stmt.replace(source, f"_empty_{name}")
    if "audit" in missing and "read_json_auto(getvariable('chartsift_output') || '/audit/" in stmt:
        stmt = "CREATE OR REPLACE VIEW audit AS SELECT NULL::VARCHAR AS run_id, NULL::VARCHAR AS event WHERE false"
    return stmt


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def split_statements(sql: str) -> list[str]:
    """Statements as DuckDB's own parser splits them (quotes and comments respected)."""
    return [s.query for s in duckdb.extract_statements(sql)]


def run_sql(output_uri: str, sql_or_file: str, vocabulary: str | None = None) -> duckdb.DuckDBPyRelation | None:
    """Run SQL text or a .sql file (all its statements) against the output; returns the last result.
    What DuckDB refuses is a QueryError with DuckDB's first line."""
    text = _sql_text(sql_or_file)
    con, missing = _connect(output_uri, vocabulary)
    rel = None
    try:
        for stmt in split_statements(text):
            rel = con.sql(_without_missing(con, stmt, missing))
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from None
    return rel


FORMATS = ("table", "csv", "parquet", "json")
_COPY_OPTIONS = {"csv": "FORMAT csv, HEADER", "parquet": "FORMAT parquet", "json": "FORMAT json"}


def export(output_uri: str, sql_or_file: str, fmt: str, to: str, vocabulary: str | None = None) -> int:
    """Run SQL as run_sql does and write its last statement's result to a file (csv with a header,
    parquet, or JSON lines) with one COPY, so the query runs once; returns the rows written. A
    query that fails leaves no file behind."""
    if fmt not in _COPY_OPTIONS:
        raise QueryError(f"--format {fmt} cannot be written to a file: use one of {', '.join(_COPY_OPTIONS)}")
    text = _sql_text(sql_or_file)
    con, missing = _connect(output_uri, vocabulary)
    Path(to).parent.mkdir(parents=True, exist_ok=True)
    try:
        *before, last = split_statements(text) or [""]
        for stmt in before:
            con.sql(_without_missing(con, stmt, missing))
        query = _without_missing(con, last, missing).strip().rstrip(";")
        return con.execute(f"COPY ({query}) TO '{_quote(to)}' ({_COPY_OPTIONS[fmt]})").fetchone()[0]
    except duckdb.Error as exc:
        Path(to).unlink(missing_ok=True)
        raise QueryError(_first_line(exc)) from None


def _sql_text(sql_or_file: str) -> str:
    if not sql_or_file.endswith(".sql"):
        return sql_or_file
    if not Path(sql_or_file).is_file():
        raise QueryError(f"no SQL file {sql_or_file}")
    return Path(sql_or_file).read_text()


def _quote(path: str) -> str:
    return path.replace("'", "''")
