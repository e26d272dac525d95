"""DuckDB over chartsift output, local or S3, offline: httpfs comes from the duckdb-extension-httpfs
wheel (no download), credentials and endpoint from the standard AWS environment."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import duckdb

from flows.engines.models import cache_dir

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


def connect(output_uri: str) -> duckdb.DuckDBPyConnection:
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
    for stmt in split_statements((SQL_DIR / "views.sql").read_text()):
        try:
            con.sql(stmt)
        except duckdb.IOException:
            if "VIEW facts_ungrounded" not in stmt:
                raise
            # an output written before facts_ungrounded existed has no parts of it yet
            con.sql("CREATE OR REPLACE VIEW facts_ungrounded AS SELECT * FROM facts WHERE false")
    return con


def split_statements(sql: str) -> list[str]:
    """Statements as DuckDB's own parser splits them (quotes and comments respected)."""
    return [s.query for s in duckdb.extract_statements(sql)]


def run_sql(output_uri: str, sql_or_file: str) -> duckdb.DuckDBPyRelation | None:
    """Run SQL text or a .sql file (all its statements) against the output; returns the last result."""
    text = Path(sql_or_file).read_text() if sql_or_file.endswith(".sql") else sql_or_file
    con = connect(output_uri)
    rel = None
    for stmt in split_statements(text):
        rel = con.sql(stmt)
    return rel
