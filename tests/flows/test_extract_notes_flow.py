"""The whole flow as a real Prefect run (temporary API server), with the fake engine."""

import gzip
import json

import duckdb
import polars as pl
import pytest
from duckdb_extensions import import_extension

from flows.extract_notes import extract_notes
from tests.support import SAMPLES
from transforms import tables

pytestmark = pytest.mark.integration


def run(src, out, **kw):
    return extract_notes(source=str(src), output=str(out), engine="fake", **kw)


def test_when_samples_run_then_tables_are_written_and_counts_add_up(prefect_harness, tmp_path):
    result = run(SAMPLES, tmp_path / "out")
    assert result["notes_input"] == 12 == result["notes_output"] + result["notes_quarantined"]
    out = tmp_path / "out"
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "extension_directory": str(tmp_path / "ext")})
    import_extension("delta", con=con)  # from the duckdb-extension-delta wheel, no download
    con.sql("LOAD delta")
    n_notes = con.sql(f"select count(*) from delta_scan('{out}/notes')").fetchone()[0]
    n_facts = con.sql(f"select count(*) from delta_scan('{out}/facts')").fetchone()[0]
    assert n_notes == 12 and n_facts == result["facts_output"] > 0
    assert pl.read_delta(str(out / "runs")).height == 1
    assert not list((out / "_staging").rglob("*.*"))  # staging is dropped once the run is published
    # provenance on every fact row, schema exactly as declared
    facts = pl.read_delta(str(out / "facts"))
    for col in ("model_id", "model_revision", "prompt_version", "schema_version", "deid_version", "run_id"):
        assert facts[col].null_count() == 0
    assert pl.read_delta(str(out / "notes")).columns == tables.NOTES.names
    # patient keys: the two notes of P-1001 share a key, raw ids never appear
    notes = pl.read_delta(str(out / "notes"))
    assert "P-1001" not in notes["patient_key"].to_list()
    assert notes["patient_key"].drop_nulls().value_counts().filter(pl.col("count") == 2).height == 2


def test_when_limit_is_given_then_only_that_many_notes_run(prefect_harness, tmp_path):
    assert run(SAMPLES, tmp_path / "out", limit=5)["notes_input"] == 5


def test_when_input_is_bad_then_every_item_is_output_or_quarantined(prefect_harness, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text("Assessment: asthma. albuterol 2 mg inhaled daily.")
    (src / "empty.txt").write_text("   ")
    (src / "latin1.txt").write_bytes("Patient caf\xe9 note".encode("latin-1"))
    (src / "utf16.txt").write_bytes("Assessment: gout.".encode("utf-16"))
    (src / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (src / "scan.pdf").write_bytes(b"%PDF-1.4")
    (src / "broken.txt.gz").write_bytes(b"not gzip at all")
    lines = [json.dumps({"id": "j1", "text": "Assessment: hypertension."}), '{"id": "j2", "text": "trunc',
             json.dumps({"id": "j3"}), json.dumps({"id": "j4", "text": ""})]  # fmt: skip
    (src / "batch.jsonl.gz").write_bytes(gzip.compress("\n".join(lines).encode()))
    result = run(src, tmp_path / "out")
    q = pl.read_delta(str(tmp_path / "out" / "quarantine"))
    assert result["notes_output"] == 3  # good.txt, utf16.txt, j1
    assert result["notes_input"] == result["notes_output"] + result["notes_quarantined"] == 3 + q.height
    assert sorted(q["reason"].to_list()) == sorted(["empty_note", "not_utf8", "binary_content", "unsupported_format",
                                                    "bad_gzip", "invalid_json", "missing_field", "empty_note"])  # fmt: skip


def test_when_shard_size_is_small_then_many_shards_still_add_up(prefect_harness, tmp_path, monkeypatch):
    monkeypatch.setenv("CHARTSIFT_SOURCE__SHARD_SIZE", "3")
    result = run(SAMPLES, tmp_path / "out")
    assert result["n_shards"] == 4 and result["notes_output"] == 12
