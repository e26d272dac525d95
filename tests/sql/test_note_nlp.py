"""sql/note_nlp.sql over hand-made facts: OMOP v5.4 conventions for term_exists, term_temporal and
term_modifiers (fast: DuckDB in memory, no output folder)."""

import duckdb

from flows.query import SQL_DIR, split_statements


def _note_nlp(facts: list[tuple[str, dict]]) -> dict[str, tuple]:
    con = duckdb.connect()
    con.sql("CREATE TABLE runs AS SELECT 'r1' AS run_id, TIMESTAMP '2026-12-04 02:00:00' AS ended_at")
    con.sql("CREATE TABLE facts (fact_id VARCHAR, note_key VARCHAR, patient_key VARCHAR, fact_type VARCHAR, name VARCHAR,"
            " attributes MAP(VARCHAR, VARCHAR), evidence VARCHAR, evidence_start INTEGER, grounding VARCHAR,"
            " model_id VARCHAR, model_revision VARCHAR, prompt_version VARCHAR, schema_version VARCHAR,"
            " deid_version VARCHAR, run_id VARCHAR)")  # fmt: skip
    for i, (fact_type, attrs) in enumerate(facts):
        con.execute("INSERT INTO facts VALUES (?, 'n1', 'p1', ?, ?, MAP(?, ?), 'e', 0, 'exact', 'm', 'r', 'p', 's', 'd', 'r1')",
                    [f"f{i}", fact_type, f"name{i}", list(attrs), list(attrs.values())])  # fmt: skip
    *defs, _ = split_statements((SQL_DIR / "note_nlp.sql").read_text())
    for stmt in defs:
        con.sql(stmt)
    rows = con.sql("SELECT lexical_variant, term_exists, term_temporal, term_modifiers FROM note_nlp").fetchall()
    return {r[0]: r[1:] for r in rows}


def test_when_a_diagnosis_is_negated_or_of_a_relative_then_term_exists_is_n():
    rows = _note_nlp([("diagnosis", {"status": "active"}), ("diagnosis", {"negated": "true"}),
                      ("diagnosis", {"family_history": "true"}), ("diagnosis", {"historical": "true"}),
                      ("medication", {"dose": "5 mg"})])  # fmt: skip
    assert [rows[f"name{i}"][0] for i in range(5)] == ["Y", "N", "N", "Y", "Y"]
    assert [rows[f"name{i}"][1] for i in range(5)] == ["present", "present", "present", "past", None]
    assert rows["name2"][2] == "subject=family;family_history=true"
    assert rows["name4"][2] == "subject=patient;dose=5 mg"
