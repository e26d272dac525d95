"""Registry extracts (publish once, checksums, profiles) and every file in sql/ against a fresh output."""

import hashlib
import json
from pathlib import Path

import boto3
import polars as pl
import pytest

from flows import storage
from flows.extract_notes import extract_notes
from flows.query import SQL_DIR, run_sql
from flows.registry_extract import registry_extract
from tests.support import SAMPLES
from transforms.errors import ConfigError

pytestmark = pytest.mark.integration

OMOP_NOTE_NLP = ["note_nlp_id", "note_id", "section_concept_id", "snippet", "offset", "lexical_variant",
                 "note_nlp_concept_id", "note_nlp_source_concept_id", "nlp_system", "nlp_date", "nlp_datetime",
                 "term_exists", "term_temporal", "term_modifiers"]  # fmt: skip


@pytest.fixture(scope="module")
def output(prefect_harness, tmp_path_factory):
    out = tmp_path_factory.mktemp("lake") / "out"
    extract_notes(source=str(SAMPLES), output=str(out), engine="fake")
    return str(out)


@pytest.mark.parametrize("sql_file", sorted(p.name for p in SQL_DIR.glob("*.sql")))
def test_when_a_sql_file_runs_on_a_fresh_output_then_it_returns_rows(output, sql_file):
    rel = run_sql(output, str(SQL_DIR / sql_file))
    if rel is not None:  # views.sql only defines views
        assert len(rel.fetchall()) > 0


def test_when_note_nlp_is_queried_then_it_has_omop_columns_and_one_row_per_fact(output):
    rel = run_sql(output, str(SQL_DIR / "note_nlp.sql"))
    assert rel.columns == OMOP_NOTE_NLP
    n_facts = run_sql(output, "select count(*) from facts").fetchone()[0]
    rows = rel.fetchall()
    assert len(rows) == n_facts and len({r[0] for r in rows}) == n_facts


def test_when_the_output_is_loaded_into_the_official_note_nlp_ddl_then_every_fact_goes_in(output):
    ddl = (SQL_DIR.parent / "tests" / "sql" / "omop_cdm_v54_note_nlp.sql").read_text()
    rel = run_sql(output, ddl + "INSERT INTO note_nlp SELECT * FROM chartsift_note_nlp;"
                  "SELECT count(*), count(DISTINCT note_nlp_id), count(DISTINCT note_id), "
                  "count(*) FILTER (WHERE note_nlp_concept_id <> 0) FROM note_nlp")  # fmt: skip
    n_facts, n_notes = run_sql(output, "select count(*), count(DISTINCT note_key) from facts").fetchone()
    assert rel.fetchone() == (n_facts, n_facts, n_notes, 0)  # no vocabulary given: every concept unmapped


def test_when_the_notes_are_loaded_into_the_official_note_ddl_then_every_dated_note_goes_in_keyed_like_note_nlp(output):
    ddl = (SQL_DIR.parent / "tests" / "sql" / "omop_cdm_v54_note.sql").read_text()
    rel = run_sql(output, ddl + "INSERT INTO note SELECT * FROM chartsift_note;"
                  "SELECT count(*), count(DISTINCT note_id), count(DISTINCT person_id) FROM note")  # fmt: skip
    loaded, distinct, persons = rel.fetchone()
    n_notes, n_patients = run_sql(output, "select count(*), count(DISTINCT patient_key) from notes").fetchone()
    without_patient, without_date = run_sql(output, "select * from chartsift_note_unloadable").fetchone()
    assert loaded == distinct == n_notes - without_patient - without_date > 0 and persons <= n_patients
    # note_nlp's note_id and person_id are the ids chartsift_note and chartsift_person_map give
    orphans = run_sql(output, "select count(*) from chartsift_note_nlp_provenance p join chartsift_note_nlp n using (note_nlp_id) "
                      "where p.note_key in (select note_key from notes where note_date is not null and patient_key is not null) "
                      "and (n.note_id not in (select note_id from chartsift_note) "
                      "or p.person_id not in (select person_id from chartsift_person_map))").fetchone()[0]  # fmt: skip
    assert orphans == 0


def test_when_a_vocabulary_folder_is_given_then_query_maps_concepts_from_its_concept_csv(output, tmp_path):
    (tmp_path / "CONCEPT.csv").write_text(
        "concept_id\tconcept_name\tdomain_id\tvocabulary_id\tconcept_class_id\tstandard_concept\tconcept_code\t"
        "valid_start_date\tvalid_end_date\tinvalid_reason\n"
        "900001\tmetformin\tDrug\tRxNorm\tIngredient\tS\tx1\t19700101\t20991231\t\n")  # a test fixture id
    rel = run_sql(output, "SELECT count(*) FILTER (WHERE note_nlp_concept_id = 900001), "
                  "count(*) FILTER (WHERE lower(lexical_variant) = 'metformin') FROM chartsift_note_nlp",
                  vocabulary=str(tmp_path))  # fmt: skip
    mapped, named = rel.fetchone()
    assert mapped == named > 0


def _check_manifest(read, base: str) -> dict:
    manifest = json.loads(read(f"{base}/manifest.json"))
    for f in manifest["files"]:
        assert hashlib.sha256(read(f"{base}/{f['path']}")).hexdigest() == f["sha256"]
    return manifest


def test_when_the_same_date_is_published_twice_then_one_manifest_stands_and_checksums_match(output, tmp_path):
    delivery = str(tmp_path / "deliveries")
    first = registry_extract(profile="cancer", output=output, delivery=delivery, date="2026-11-28")
    second = registry_extract(profile="cancer", output=output, delivery=delivery, date="2026-11-28")
    assert (first["status"], second["status"]) == ("published", "already_published")
    base = f"{delivery}/cancer/2026-11-28"
    manifest = _check_manifest(storage.read_bytes, base)
    assert manifest["row_count"] > 0 and {f["format"] for f in manifest["files"]} == {"parquet", "csv"}
    assert len(list((tmp_path / "deliveries" / "cancer" / "2026-11-28").glob("*/*.parquet"))) == 1

    other = registry_extract(profile="diabetes", output=output, delivery=delivery, date="2026-11-28")
    diabetes = json.loads(storage.read_bytes(other["manifest"]))
    assert diabetes["columns"] != manifest["columns"] and "evidence" not in diabetes["columns"]


def _delivered(base, manifest: dict) -> pl.DataFrame:
    [parquet] = [f["path"] for f in manifest["files"] if f["format"] == "parquet"]
    return pl.read_parquet(f"{base}/{parquet}")


def test_when_delivered_then_the_package_validates_and_registries_share_no_key_with_each_other_or_the_lake(
    output, tmp_path
):
    from frictionless import validate

    delivery = tmp_path / "d"
    cancer = registry_extract(profile="cancer", output=output, delivery=str(delivery), date="2026-11-29")
    diabetes = registry_extract(profile="diabetes", output=output, delivery=str(delivery), date="2026-11-29")
    report = validate(cancer["package"])
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    package = json.loads(Path(cancer["package"]).read_text())
    meta = package["chartsift"]
    assert "shifted per patient" in meta["dates"] and meta["data_use"] == "free_text"
    assert meta["source_run_ids"] and meta["versions"]["deid"] and meta["cohort"]["name_regex"]
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert fields["evidence"]["chartsift:class"] == "free_text" and fields["note_date"]["type"] == "date"
    dictionary = (Path(cancer["package"]).parent / "data-dictionary.md").read_text()
    assert all(f"`{c}`" in dictionary for c in fields)

    c_rows = _delivered(delivery / "cancer" / "2026-11-29", json.loads(Path(cancer["manifest"]).read_text()))
    d_rows = _delivered(delivery / "diabetes" / "2026-11-29", json.loads(Path(diabetes["manifest"]).read_text()))
    lake = pl.read_delta(f"{output}/notes")
    assert c_rows.height and d_rows.height
    def keys(df: pl.DataFrame, col: str) -> set[str]:
        return set(df[col].drop_nulls())  # notes of no known patient have no patient key anywhere

    assert keys(c_rows, "patient_key") and keys(d_rows, "patient_key")
    assert not keys(c_rows, "patient_key") & keys(d_rows, "patient_key")
    assert not (keys(c_rows, "patient_key") | keys(d_rows, "patient_key")) & keys(lake, "patient_key")
    assert not keys(c_rows, "note_key") & keys(lake, "note_key")


def test_when_a_delivery_is_revised_then_the_revision_says_what_it_replaces(output, tmp_path):
    delivery = str(tmp_path / "d")
    with pytest.raises(ConfigError, match="never published"):
        registry_extract(profile="cancer", output=output, delivery=delivery, date="2026-11-30", revision=1)
    first = registry_extract(profile="cancer", output=output, delivery=delivery, date="2026-11-30")
    again = registry_extract(profile="cancer", output=output, delivery=delivery, date="2026-11-30")
    revised = registry_extract(profile="cancer", output=output, delivery=delivery, date="2026-11-30", revision=1)
    assert (first["status"], again["status"], revised["status"]) == ("published", "already_published", "published")
    manifest = json.loads(Path(revised["manifest"]).read_text())
    assert (manifest["revision"], manifest["replaces"]) == (1, "manifest.json")
    assert json.loads(Path(revised["package"]).read_text())["chartsift"]["replaces"] == "manifest.json"


def test_when_published_to_s3_then_the_conditional_put_keeps_the_first_manifest(output, s3_server):
    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="registry")
    storage._client.cache_clear()
    first = registry_extract(profile="cancer", output=output, delivery="s3://registry/out", date="2026-11-27")
    body = s3.get_object(Bucket="registry", Key="out/cancer/2026-11-27/manifest.json")["Body"].read()
    second = registry_extract(profile="cancer", output=output, delivery="s3://registry/out", date="2026-11-27")
    assert (first["status"], second["status"]) == ("published", "already_published")
    assert s3.get_object(Bucket="registry", Key="out/cancer/2026-11-27/manifest.json")["Body"].read() == body
    _check_manifest(storage.read_bytes, "s3://registry/out/cancer/2026-11-27")
    with pytest.raises(s3.exceptions.ClientError):  # the server itself refuses a second create
        s3.put_object(Bucket="registry", Key="out/cancer/2026-11-27/manifest.json", Body=b"{}", IfNoneMatch="*")


def test_when_notes_mention_one_cancer_in_every_way_then_the_cancer_delivery_holds_only_the_affirmed_note(
    prefect_harness, tmp_path
):
    """Hand-written notes through a real run (fake engine: it marks "no", "history of" and "family
    history of" as the model should); ungrounded mentions are covered in tests/transforms/test_registry.py."""
    notes = {"affirmed": "Assessment: breast cancer.\nPlan: tamoxifen 20 mg daily.",
             "negated": "Assessment: no breast cancer.\nPlan: tamoxifen 20 mg daily.",
             "family": "Assessment: family history of breast cancer.\nPlan: tamoxifen 20 mg daily.",
             "historical": "Assessment: history of breast cancer.\nPlan: tamoxifen 20 mg daily."}  # fmt: skip
    src = tmp_path / "src"
    src.mkdir()
    (src / "onc.jsonl").write_text("".join(json.dumps({"id": k, "text": t, "patient_id": f"p-{k}"}) + "\n"
                                           for k, t in notes.items()))  # fmt: skip
    out = tmp_path / "out"
    extract_notes(source=str(src), output=str(out), engine="fake")
    facts = pl.read_delta(str(out / "facts")).filter(pl.col("fact_type") == "diagnosis")
    assert facts.height == 4  # every mention was extracted, with its flags
    res = registry_extract(profile="cancer", output=str(out), delivery=str(tmp_path / "d"), date="2026-12-01")
    rows = _delivered(tmp_path / "d" / "cancer" / "2026-12-01", json.loads(Path(res["manifest"]).read_text()))
    assert rows["note_key"].n_unique() == 1 and sorted(rows["name"]) == ["breast cancer", "tamoxifen"]


def test_when_the_model_misquotes_its_evidence_then_those_facts_are_audited_and_never_queried_or_delivered(
    prefect_harness, tmp_path
):
    out = tmp_path / "out"
    run = extract_notes(source=str(SAMPLES), output=str(out), engine="tests.support:MisquotingEngine")
    facts = run_sql(str(out), "select fact_type, grounding from facts").fetchall()
    audit = run_sql(str(out), "select fact_type, grounding from facts_ungrounded").fetchall()
    assert facts and audit and {t for t, _ in audit} == {"diagnosis"} and "diagnosis" not in {t for t, _ in facts}
    assert {g for _, g in audit} <= {"name_only", "ungrounded", "evidence_mismatch"}
    assert run_sql(str(out), "select sum(n_facts), sum(n_facts_ungrounded) from notes").fetchone() == (
        len(facts), len(audit))
    assert (run["facts_output"], run["facts_ungrounded"]) == (len(facts), len(audit))
    # the diabetes registry's cohort needs a grounded diabetes diagnosis: the lake has none now
    assert run_sql(str(out), "select count(*) from facts_ungrounded where name ilike '%diabetes%'").fetchone()[0] > 0
    res = registry_extract(profile="diabetes", output=str(out), delivery=str(tmp_path / "d"), date="2026-12-01")
    assert res["rows"] == 0


def test_when_facts_are_queried_then_dose_route_frequency_value_unit_are_columns(output):
    rows = run_sql(output, "select attributes, dose, route, frequency, status, value, unit from facts").fetchall()
    assert rows and any(r[1] for r in rows)
    for attrs, *cols in rows:
        assert cols == [attrs.get(k) for k in ("dose", "route", "frequency", "status", "value", "unit")]


def test_when_an_output_has_no_quarantined_record_then_the_quarantine_view_answers_empty(output, tmp_path):
    import shutil

    assert run_sql(output, "select count(*) from quarantine").fetchone()[0] == 0
    older = tmp_path / "older"  # an output written before every shard wrote a quarantine part
    shutil.copytree(output, older)
    shutil.rmtree(older / "quarantine")
    assert run_sql(str(older), "select count(*) from quarantine").fetchone()[0] == 0
    assert "reason" in run_sql(str(older), "select * from quarantine").columns


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
def test_when_a_result_is_exported_then_the_file_holds_every_row(output, tmp_path, fmt):
    from flows.query import export

    n = run_sql(output, "select count(*) from facts").fetchone()[0]
    to = tmp_path / f"facts.{fmt}"
    assert export(output, "select note_key, fact_type, name, dose from facts", fmt, str(to)) == n
    read = {"csv": pl.read_csv, "parquet": pl.read_parquet, "json": pl.read_ndjson}[fmt]
    frame = read(to)
    assert frame.height == n and frame.columns == ["note_key", "fact_type", "name", "dose"]


def test_when_a_query_fails_then_the_command_prints_one_line_and_exits_1(output, tmp_path):
    import subprocess
    import sys

    for args in (["select nonexistent from facts", "--output", output],
                 ["select 1", "--output", str(tmp_path / "no-such-output")],
                 ["select 1", "--output", output, "--to", str(tmp_path / "x.csv")]):  # fmt: skip
        proc = subprocess.run([sys.executable, "-m", "flows.cli", "query", *args], capture_output=True, text=True,
                              timeout=120, env={**__import__("os").environ, "COLUMNS": "400"})  # fmt: skip
        lines = (proc.stdout + proc.stderr).strip().splitlines()
        assert proc.returncode == 1, lines
        assert len(lines) == 1 and lines[0].startswith("QueryError: ") and "Traceback" not in lines[0]
