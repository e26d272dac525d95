"""sql/note_nlp.sql over hand-made facts (fast: DuckDB in memory, no output folder): OMOP v5.4
conventions for term_exists, term_temporal and term_modifiers; integer ids from the `ids` table;
concept ids from a site vocabulary; and the view loads into the v5.4 NOTE_NLP DDL."""

import duckdb
import pytest

from flows.query import SQL_DIR, split_statements
from transforms.errors import TerminalError
from transforms.omop import MAX_ID, new_ids

DDL = SQL_DIR.parent / "tests" / "sql" / "omop_cdm_v54_note_nlp.sql"


def _con(facts: list[tuple[str, dict]], concepts: list[tuple] = ()) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.sql("CREATE TABLE runs AS SELECT 'r1' AS run_id, TIMESTAMP '2026-12-04 02:00:00' AS ended_at")
    con.sql("CREATE TABLE facts (fact_id VARCHAR, note_key VARCHAR, patient_key VARCHAR, fact_type VARCHAR, name VARCHAR,"
            " attributes MAP(VARCHAR, VARCHAR), evidence VARCHAR, evidence_start INTEGER, grounding VARCHAR,"
            " model_id VARCHAR, model_revision VARCHAR, adapter_id VARCHAR, adapter_sha256 VARCHAR, prompt_version VARCHAR,"
            " schema_version VARCHAR, deid_version VARCHAR, run_id VARCHAR)")  # fmt: skip
    con.sql("CREATE TABLE ids (kind VARCHAR, key VARCHAR, id INTEGER, run_id VARCHAR)")
    con.sql("INSERT INTO ids VALUES ('note', 'n1', 7, 'r1'), ('person', 'p1', 3, 'r1')")
    for i, (fact_type, attrs) in enumerate(facts):
        name = attrs.pop("name", f"name{i}")
        con.execute("INSERT INTO facts VALUES (?, 'n1', 'p1', ?, ?, MAP(?, ?), 'e', 0, 'exact', 'm', 'r', NULL, NULL,"
                    " 'p', 's', 'd', 'r1')", [f"f{i}", fact_type, name, list(attrs), list(attrs.values())])  # fmt: skip
        con.execute("INSERT INTO ids VALUES ('fact', ?, ?, 'r1')", [f"f{i}", 100 + i])
    con.sql("CREATE TABLE chartsift_concept (concept_id INTEGER, concept_name VARCHAR, domain_id VARCHAR,"
            " vocabulary_id VARCHAR, concept_class_id VARCHAR, standard_concept VARCHAR, concept_code VARCHAR,"
            " invalid_reason VARCHAR)")  # fmt: skip
    for c in concepts:
        con.execute("INSERT INTO chartsift_concept VALUES (?, ?, ?, 'V', 'C', ?, 'x', ?)", list(c))
    for stmt in split_statements((SQL_DIR / "views.sql").read_text()):
        if "VIEW chartsift_note_nlp" in stmt:  # the NOTE_NLP views, over the tables made above
            con.sql(stmt)
    return con


def _note_nlp(facts: list[tuple[str, dict]]) -> dict[str, tuple]:
    rows = _con(facts).sql("SELECT lexical_variant, term_exists, term_temporal, term_modifiers FROM chartsift_note_nlp").fetchall()
    return {r[0]: r[1:] for r in rows}


def test_when_a_diagnosis_is_negated_or_of_a_relative_then_term_exists_is_n():
    rows = _note_nlp([("diagnosis", {"status": "active"}), ("diagnosis", {"negated": "true"}),
                      ("diagnosis", {"family_history": "true"}), ("diagnosis", {"historical": "true"}),
                      ("medication", {"dose": "5 mg"})])  # fmt: skip
    assert [rows[f"name{i}"][0] for i in range(5)] == ["Y", "N", "N", "Y", "Y"]
    assert [rows[f"name{i}"][1] for i in range(5)] == ["present", "present", "present", "past", None]
    assert rows["name2"][2] == "subject=family;family_history=true"
    assert rows["name4"][2] == "subject=patient;dose=5 mg"


def test_when_loaded_into_the_v54_note_nlp_ddl_then_every_row_goes_in_with_its_integer_ids():
    con = _con([("diagnosis", {"status": "active"}), ("medication", {"dose": "5 mg"})])
    con.sql(DDL.read_text())
    con.sql("INSERT INTO note_nlp SELECT * FROM chartsift_note_nlp")
    rows = con.sql("SELECT note_nlp_id, note_id, nlp_date FROM note_nlp ORDER BY 1").fetchall()
    assert [(r[0], r[1], str(r[2])) for r in rows] == [(100, 7, "2026-12-04"), (101, 7, "2026-12-04")]
    prov = con.sql("SELECT note_nlp_id, fact_id, person_id FROM chartsift_note_nlp_provenance ORDER BY 1").fetchall()
    assert prov == [(100, "f0", 3), (101, "f1", 3)]


def test_when_a_site_vocabulary_is_given_then_names_map_to_standard_concepts_of_their_domain():
    concepts = [(1001, "Metformin", "Drug", "S", None), (1002, "metformin", "Condition", "S", None),
                (1003, "Asthma", "Condition", "S", None), (1004, "Asthma", "Condition", None, None),
                (1005, "Gout", "Condition", "S", "D")]  # test fixture ids, not real OMOP concepts
    con = _con([("medication", {"name": "METFORMIN"}), ("diagnosis", {"name": "asthma"}),
                ("diagnosis", {"name": "gout"}), ("lab", {"name": "metformin"})], concepts)  # fmt: skip
    rows = dict(con.sql("SELECT lexical_variant, note_nlp_concept_id FROM chartsift_note_nlp").fetchall())
    assert rows == {"METFORMIN": 1001, "asthma": 1003, "gout": 0, "metformin": 0}  # invalid and off-domain stay 0


def test_when_ids_are_assigned_then_new_keys_take_the_next_integers_once():
    assert new_ids({}, ["b", "a"]) == {"a": 1, "b": 2}
    assert new_ids({"a": 1, "b": 2}, ["b", "c", "a"]) == {"c": 3}
    assert new_ids({"a": 5}, []) == {}
    with pytest.raises(TerminalError, match="used up"):
        new_ids({"a": MAX_ID}, ["b"])
