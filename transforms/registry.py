"""Registry extract profiles (declared in YAML): the cohort and facts they select, with clinical
semantics, the columns their data-use level allows, and the per-registry pseudonyms.

Semantics: a fact counts, for the cohort and for the delivered facts, only when it is grounded
(located in the de-identified text, naming the fact: always), affirmed (not negated), about the
patient (not family history) and current (not historical, not resolved or stopped). A profile
relaxes the last three with `include: [negated, family_history, historical]` (delivered facts)
and `cohort: {include: [...]}` (the cohort test). Ungrounded facts are never delivered: they are
not in `facts` (chartsift keeps them in `facts_ungrounded`, for audit).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import yaml

from transforms import keys
from transforms.catalogue import ALLOWED, CATALOGUE, DataUse, Sensitivity
from transforms.codes import GROUNDED
from transforms.errors import ConfigError
from transforms.tables import FACTS, NOTES

FORMATS = {"parquet", "csv"}
RELAXATIONS = ("negated", "family_history", "historical")
PSEUDONYMS = ("patient_key", "note_key", "fact_id")  # re-keyed per registry; the lake's never leave


@dataclass(frozen=True)
class Profile:
    name: str
    fact_types: tuple[str, ...]
    columns: tuple[str, ...]
    cohort_fact_type: str | None = None
    cohort_name_regex: str | None = None
    formats: tuple[str, ...] = ("parquet",)
    description: str = ""
    data_use: DataUse = DataUse.DEIDENTIFIED
    include: frozenset[str] = frozenset()  # relaxations for the delivered facts
    cohort_include: frozenset[str] = frozenset()  # relaxations for the cohort test
    extra: dict = field(default_factory=dict)


def profile_column(name: str) -> tuple[str, Sensitivity]:
    """(table, class) of a column a profile may name: facts first, then notes."""
    for table in ("facts", "notes"):
        if (table, name) in CATALOGUE:
            return table, CATALOGUE[(table, name)].sensitivity
    raise KeyError(name)


def load_profile(path: str | Path) -> Profile:
    try:
        doc = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"registry profile cannot be read: {Path(path).name} ({type(exc).__name__})") from None
    name = doc.get("name", "")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise ConfigError("profile name must be lower-case letters, digits, - or _")
    try:
        use = DataUse(doc.get("data_use", DataUse.DEIDENTIFIED))
    except ValueError:
        raise ConfigError(f"profile {name!r}: data_use must be one of {', '.join(DataUse)}") from None
    cols = tuple(doc["columns"])
    unknown = [c for c in cols if (c not in FACTS.names and c not in NOTES.names)]
    if unknown:
        raise ConfigError(f"profile {name!r}: unknown columns {unknown}")
    classes = {c: profile_column(c)[1] for c in cols}
    above = [f"{c} ({k})" for c, k in classes.items() if k not in ALLOWED[use]]
    if above:
        raise ConfigError(f"profile {name!r}: column(s) {', '.join(above)} are above its data-use level "
                          f"{use} (allows {', '.join(sorted(ALLOWED[use]))})")  # fmt: skip
    formats = tuple(doc.get("formats", ["parquet"]))
    if set(formats) - FORMATS:
        raise ConfigError(f"profile {name!r}: formats must be among {sorted(FORMATS)}")
    cohort = doc.get("cohort") or {}
    include, cohort_include = frozenset(doc.get("include") or []), frozenset(cohort.get("include") or [])
    if "ungrounded" in include | cohort_include:
        raise ConfigError(f"profile {name!r}: ungrounded facts are never delivered (they are audit rows, not facts)")
    if (include | cohort_include) - set(RELAXATIONS):
        raise ConfigError(f"profile {name!r}: include takes only {', '.join(RELAXATIONS)}")
    if cohort.get("name_regex"):
        try:
            re.compile(cohort["name_regex"])
        except re.error:
            raise ConfigError(f"profile {name!r}: cohort name_regex does not compile") from None
    return Profile(name, tuple(doc["fact_types"]), cols, cohort.get("fact_type"), cohort.get("name_regex"),
                   formats, doc.get("description", ""), use, include, cohort_include)  # fmt: skip


def counts_sql(alias: str, include: frozenset[str]) -> str:
    """SQL condition: the fact `alias` counts (grounded, affirmed, the patient's, current), less
    what `include` relaxes."""
    flag = f"list_contains(map_keys({alias}.attributes), '{{}}')"
    # facts holds grounded facts only; an output written before facts_ungrounded existed may not
    conds = [f"{alias}.grounding IN ({', '.join(repr(str(g)) for g in sorted(GROUNDED))})"]
    if "negated" not in include:
        conds.append("NOT " + flag.format("negated"))
    if "family_history" not in include:
        conds.append("NOT " + flag.format("family_history"))
    if "historical" not in include:
        conds.append("NOT " + flag.format("historical"))
        conds.append(f"coalesce(list_extract(map_extract({alias}.attributes, 'status'), 1), '') NOT IN ('resolved', 'stopped')")
    return " AND ".join(conds)


def selection_sql(p: Profile, columns: tuple[str, ...] | None = None) -> tuple[str, list]:
    """DuckDB SQL over the `facts` and `notes` views, with parameters; ordered, so the same output
    gives the same bytes. `columns` replaces the profile's (the flow reads provenance with it)."""
    cols = ", ".join(f"n.{c}" if c in NOTES.names and c not in FACTS.names else f"f.{c}" for c in columns or p.columns)
    sql = (f"SELECT {cols} FROM facts f JOIN notes n ON n.note_key = f.note_key "
           f"WHERE list_contains(?, f.fact_type) AND {counts_sql('f', p.include)}")  # fmt: skip
    params: list = [list(p.fact_types)]
    if p.cohort_name_regex:
        sql += (" AND f.note_key IN (SELECT c.note_key FROM facts c WHERE c.fact_type = ? AND "
                f"regexp_matches(c.name, ?) AND {counts_sql('c', p.cohort_include)})")  # fmt: skip
        params += [p.cohort_fact_type or "diagnosis", p.cohort_name_regex]
    sql += " ORDER BY f.note_key, f.fact_id"
    return sql, params


def registry_key(secret: bytes, registry: str) -> bytes:
    """The registry's own key, derived from the site secret: its pseudonyms differ from every other
    registry's and from the lake's, and cannot be mapped back without the secret."""
    return keys.keyed_hash(keys.subkey(secret, "registry"), "registry", registry, length=64).encode()


def pseudonymize(table: pa.Table, secret: bytes, registry: str) -> pa.Table:
    """`table` with its patient, note and fact ids replaced by the registry's own keyed ids."""
    key = registry_key(secret, registry)
    for name in PSEUDONYMS:
        if name in table.column_names:
            values = [None if v is None else keys.keyed_hash(key, name, v) for v in table[name].to_pylist()]
            table = table.set_column(table.column_names.index(name), name, pa.array(values, pa.string()))
    return table


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
