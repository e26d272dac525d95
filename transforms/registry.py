"""Registry extract profiles (declared in YAML) and the SQL and manifest they produce."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from transforms.tables import FACTS, NOTES

ALLOWED_COLUMNS = set(FACTS.names) | set(NOTES.names) - {"text"}
FORMATS = {"parquet", "csv"}


@dataclass(frozen=True)
class Profile:
    name: str
    fact_types: tuple[str, ...]
    columns: tuple[str, ...]
    cohort_fact_type: str | None = None
    cohort_name_regex: str | None = None
    formats: tuple[str, ...] = ("parquet",)
    description: str = ""
    extra: dict = field(default_factory=dict)


def load_profile(path: str | Path) -> Profile:
    doc = yaml.safe_load(Path(path).read_text())
    cols = tuple(doc["columns"])
    bad = [c for c in cols if c not in ALLOWED_COLUMNS]
    if bad:
        raise ValueError(f"profile {doc.get('name')!r}: unknown or disallowed columns {bad}")
    formats = tuple(doc.get("formats", ["parquet"]))
    if set(formats) - FORMATS:
        raise ValueError(f"profile {doc.get('name')!r}: formats must be among {sorted(FORMATS)}")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", doc["name"]):
        raise ValueError("profile name must be lower-case letters, digits, - or _")
    cohort = doc.get("cohort") or {}
    if cohort.get("name_regex"):
        re.compile(cohort["name_regex"])
    return Profile(doc["name"], tuple(doc["fact_types"]), cols, cohort.get("fact_type"), cohort.get("name_regex"),
                   formats, doc.get("description", ""))  # fmt: skip


def selection_sql(p: Profile) -> tuple[str, list]:
    """DuckDB SQL over the `facts` and `notes` views, with parameters; ordered, so the same output
    gives the same bytes."""
    cols = ", ".join(f"n.{c}" if c in NOTES.names and c not in FACTS.names else f"f.{c}" for c in p.columns)
    sql = (f"SELECT {cols} FROM facts f JOIN notes n ON n.note_key = f.note_key "
           f"WHERE list_contains(?, f.fact_type)")  # fmt: skip
    params: list = [list(p.fact_types)]
    if p.cohort_name_regex:
        sql += (" AND f.note_key IN (SELECT note_key FROM facts WHERE fact_type = ? AND "
                "regexp_matches(name, ?))")  # fmt: skip
        params += [p.cohort_fact_type or "diagnosis", p.cohort_name_regex]
    sql += " ORDER BY f.note_key, f.fact_id"
    return sql, params


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
