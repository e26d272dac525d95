"""s3:// to s3:// through a real S3 server over HTTP (SeaweedFS, signatures checked)."""

import boto3
import pytest

from flows import delta, storage
from flows.extract_notes import extract_notes
from tests.support import SAMPLES
from transforms.errors import TerminalError
from transforms.tables import FACTS, NOTES, RUNS

pytestmark = pytest.mark.integration


def test_when_source_and_output_are_s3_then_the_flow_reads_and_writes_parquet_there(prefect_harness, s3_server):
    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="archive")
    s3.create_bucket(Bucket="lake")
    for p in sorted(SAMPLES.iterdir()):
        s3.upload_file(str(p), "archive", f"notes/2024/{p.name}")
    storage._client.cache_clear()

    result = extract_notes(source="s3://archive/notes/", output="s3://lake/chartsift", engine="fake")

    assert result["notes_input"] == 12 == result["notes_output"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix="chartsift/")["Contents"]]
    assert not [k for k in keys if "/_staging/" in k]
    assert {k.split("/")[1] for k in keys if "/_delta_log/" in k} == {"notes", "facts", "facts_ungrounded", "quarantine", "runs", "metrics"}
    tables = {name: delta.read(f"s3://lake/chartsift/{name}", schema)
              for name, schema in (("notes", NOTES), ("facts", FACTS), ("runs", RUNS))}  # fmt: skip
    assert tables["notes"].num_rows == 12 and tables["facts"].num_rows == result["facts_output"]
    assert tables["runs"].column("source_uri").to_pylist() == ["s3://archive/notes/"]
    # researchers query the S3 output in place with DuckDB (httpfs from the wheel, no download)
    from flows.query import run_sql

    assert run_sql("s3://lake/chartsift", "select count(*) from notes").fetchone()[0] == 12
    assert run_sql("s3://lake/chartsift", "select count(*) from facts", as_of=result["run_id"]).fetchone()[0] == result["facts_output"]
    assert run_sql("s3://lake/chartsift", "select count(*) from facts").fetchone()[0] == result["facts_output"]


def test_when_credentials_are_wrong_then_the_error_is_terminal_and_names_no_data(s3_server, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    storage._client.cache_clear()
    try:
        with pytest.raises(TerminalError):
            storage.list_objects("s3://archive/notes/")
    finally:
        monkeypatch.undo()
        storage._client.cache_clear()


def test_when_an_object_is_created_exclusively_on_s3_then_a_second_create_is_refused(s3_server):
    """The output lock and the audit log rest on conditional PUTs (If-None-Match: *)."""
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket="locks")
    storage._client.cache_clear()
    assert storage.create_exclusive("s3://locks/out/_lock/output.json", b"first")
    assert not storage.create_exclusive("s3://locks/out/_lock/output.json", b"second")
    assert storage.read_bytes("s3://locks/out/_lock/output.json") == b"first"
    assert storage.exists("s3://locks/out/_lock/output.json")
    storage.delete("s3://locks/out/_lock/output.json")
    assert not storage.exists("s3://locks/out/_lock/output.json")


def test_when_sse_is_set_then_every_write_of_a_run_asks_for_server_side_encryption(prefect_harness, s3_server, monkeypatch):
    from flows.settings import S3Settings

    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="sse-src")
    s3.create_bucket(Bucket="sse-out")
    s3.put_object(Bucket="sse-src", Key="notes/a.txt", Body=b"Assessment: gout. Plan: colchicine 0.6 mg daily.")
    monkeypatch.setenv("CHARTSIFT_S3__SSE", "AES256")
    storage._client.cache_clear()
    storage.configure_s3(S3Settings(sse="AES256"))
    puts: list[dict] = []
    storage.s3_client().meta.events.register("provide-client-params.s3.PutObject", lambda params, **_: puts.append(params))
    try:
        result = extract_notes(source="s3://sse-src/notes/", output="s3://sse-out/chartsift", engine="fake")
    finally:
        storage.configure_s3(S3Settings())
    assert result["notes_output"] == 1
    assert len(puts) >= 5 and all(p.get("ServerSideEncryption") == "AES256" for p in puts)  # parts, lock, audit, state

