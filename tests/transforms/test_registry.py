"""Registry profiles without Prefect: cohort semantics on hand-written facts, data-use levels,
per-registry pseudonyms."""

import duckdb
import pyarrow as pa
import pytest

from tests.support import ROOT
from transforms import tables
from transforms.errors import ConfigError
from transforms.registry import load_profile, pseudonymize, selection_sql

PROFILES = ROOT / "deployments" / "registries"
SECRET = b"registry-test-secret-0123456789abcdef"


def fact(note: str, name: str, start: int | None = 10, **flags: str) -> dict:
    return {"fact_id": f"{note}-{name}", "note_key": note, "patient_key": f"p-{note}", "fact_type": "diagnosis",
            "name": name, "attributes": {"status": "active", **flags}, "evidence": name, "evidence_start": start,
            "evidence_end": None if start is None else start + len(name), "grounding": "exact" if start is not None
            else "ungrounded", "chunk_index": 0, "model_id": "m", "model_revision": "1", "prompt_version": "p",
            "schema_version": "s", "deid_version": "d", "run_id": "r1"}  # fmt: skip


# one cancer, mentioned six ways, each in its own note (with one medication per note)
CASES = {
    "affirmed": fact("affirmed", "breast cancer"),
    "negated": fact("negated", "breast cancer", negated="true"),
    "family": fact("family", "breast cancer", family_history="true"),
    "historical": fact("historical", "breast cancer", historical="true"),
    "resolved": {**fact("resolved", "breast cancer"), "attributes": {"status": "resolved"}},
    "ungrounded": fact("ungrounded", "breast cancer", start=None),
}


def lake() -> duckdb.DuckDBPyConnection:
    facts = list(CASES.values()) + [{**fact(n, "tamoxifen"), "fact_type": "medication", "fact_id": f"{n}-med"}
                                    for n in CASES]  # fmt: skip
    notes = [{"note_key": n, "patient_key": f"p-{n}", "note_date": None, "note_type": "Oncology", "run_id": "r1"}
             for n in CASES]  # fmt: skip
    con = duckdb.connect()
    con.register("facts", tables.build_table(facts, tables.FACTS))
    con.register("notes", tables.build_table(notes, tables.NOTES))
    return con


def test_when_one_cancer_is_mentioned_six_ways_then_the_cancer_extract_holds_only_the_affirmed_grounded_current_note():
    con = lake()
    sql, params = selection_sql(load_profile(PROFILES / "cancer.yaml"))
    rows = con.execute(sql, params).fetch_arrow_table().to_pylist()
    assert {r["note_key"] for r in rows} == {"affirmed"}
    assert sorted(r["name"] for r in rows) == ["breast cancer", "tamoxifen"]


def test_when_a_profile_relaxes_the_semantics_then_those_mentions_count(tmp_path):
    doc = (PROFILES / "cancer.yaml").read_text().replace(
        "  fact_type: diagnosis\n", "  fact_type: diagnosis\n  include: [family_history, historical]\n")
    (tmp_path / "p.yaml").write_text(doc + "include: [family_history, historical]\n")
    sql, params = selection_sql(load_profile(tmp_path / "p.yaml"))
    notes = {r["note_key"] for r in lake().execute(sql, params).fetch_arrow_table().to_pylist()}
    assert notes == {"affirmed", "family", "historical", "resolved"}


@pytest.mark.parametrize(("level", "column", "klass"), [("deidentified", "evidence", "free_text"),
                                                         ("deidentified", "note_date", "quasi_identifier"),
                                                         ("free_text", "source_key", "direct_identifier")])  # fmt: skip
def test_when_a_profile_asks_for_a_column_above_its_data_use_level_then_it_is_refused(tmp_path, level, column, klass):
    (tmp_path / "p.yaml").write_text(f"name: probe\ndata_use: {level}\nfact_types: [diagnosis]\n"
                                     f"columns: [patient_key, name, {column}]\n")  # fmt: skip
    with pytest.raises(ConfigError) as exc:
        load_profile(tmp_path / "p.yaml")
    assert f"{column} ({klass})" in str(exc.value) and f"data-use level {level}" in str(exc.value)


def test_when_two_registries_get_the_same_rows_then_they_share_no_patient_note_or_fact_key():
    table = lake().execute("SELECT patient_key, note_key, fact_id FROM facts").fetch_arrow_table()
    a, b = pseudonymize(table, SECRET, "cancer"), pseudonymize(table, SECRET, "diabetes")
    for col in ("patient_key", "note_key", "fact_id"):
        lake_ids, ids_a, ids_b = (set(t[col].to_pylist()) for t in (table, a, b))
        assert not (ids_a & ids_b) and not (ids_a & lake_ids) and len(ids_a) == len(lake_ids)
    assert pseudonymize(table, SECRET, "cancer").equals(a)  # stable across deliveries
    assert not set(pseudonymize(table, b"another-site-secret-0123456789abcd", "cancer")["patient_key"].to_pylist()) & set(
        a["patient_key"].to_pylist())
    assert pa.types.is_string(a.schema.field("patient_key").type)


def test_when_a_profile_asks_for_ungrounded_facts_then_it_is_refused(tmp_path):
    (tmp_path / "p.yaml").write_text((PROFILES / "cancer.yaml").read_text() + "include: [ungrounded]\n")
    with pytest.raises(ConfigError, match="ungrounded facts are never delivered"):
        load_profile(tmp_path / "p.yaml")


def test_the_facts_view_shows_exactly_the_grounded_codes():
    import re

    from transforms.codes import GROUNDED

    views = (ROOT / "sql" / "views.sql").read_text()
    listed = re.search(r"'/facts'\).*?WHERE grounding IN \(([^)]*)\)", views, re.S).group(1)
    assert set(re.findall(r"'(\w+)'", listed)) == set(GROUNDED)
