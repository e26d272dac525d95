"""Registry extracts (publish once, checksums, profiles) and every file in sql/ against a fresh output."""

import hashlib
import json

import boto3
import pytest

from flows import storage
from flows.extract_notes import extract_notes
from flows.query import SQL_DIR, run_sql
from flows.registry_extract import registry_extract
from tests.support import SAMPLES

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
    assert rel.columns[: len(OMOP_NOTE_NLP)] == OMOP_NOTE_NLP
    n_facts = run_sql(output, "select count(*) from facts").fetchone()[0]
    rows = rel.fetchall()
    assert len(rows) == n_facts and len({r[0] for r in rows}) == n_facts


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
