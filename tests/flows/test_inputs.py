"""Real inputs end to end (real Prefect runs, fake engine): FHIR bulk export, HL7 v2, gzip, S3,
a bad-input corpus, and incremental runs."""

import base64
import datetime as dt
import gzip
import json
import shutil

import boto3
import polars as pl
import pytest

from flows import delta, storage
from flows.extract_notes import extract_notes
from tests.support import ROOT, SITE_SECRET
from transforms import tables
from transforms.deid.replace import date_shift_days
from transforms.keys import patient_key

pytestmark = pytest.mark.integration

SYNTHEA = ROOT.parent / "shared" / "data" / "synthea-fhir"
FIXTURES = ROOT / "tests" / "fixtures"
needs_synthea = pytest.mark.skipif(not SYNTHEA.exists(), reason="../shared/data/synthea-fhir not present")


def run(src, out, **kw):
    return extract_notes(source=str(src), output=str(out), engine="fake", **kw)


def _synthea_truth() -> dict[str, tuple[str, str]]:
    """DocumentReference id -> (patient id, date) straight from the export."""
    truth = {}
    for line in (SYNTHEA / "DocumentReference.ndjson").read_text().splitlines():
        r = json.loads(line)
        truth[r["id"]] = (r["subject"]["reference"].split("/")[-1], r["date"][:10])
    return truth


@needs_synthea
@pytest.mark.parametrize("gz", [False, True])
def test_when_synthea_bulk_export_runs_then_268_notes_in_and_out_with_patient_keys_and_dates(
    prefect_harness, tmp_path, gz
):
    src = tmp_path / "src"
    src.mkdir()
    data = (SYNTHEA / "DocumentReference.ndjson").read_bytes()
    (src / ("DocumentReference.ndjson.gz" if gz else "DocumentReference.ndjson")).write_bytes(
        gzip.compress(data) if gz else data
    )
    result = run(src, tmp_path / "out")
    assert (result["notes_input"], result["notes_output"], result["notes_quarantined"]) == (268, 268, 0)
    notes = pl.read_delta(str(tmp_path / "out" / "notes"))
    patients = {json.loads(line)["id"] for line in (SYNTHEA / "Patient.ndjson").read_text().splitlines()}
    secret = SITE_SECRET.encode()
    expected_keys = {patient_key(secret, p) for p in patients}
    assert set(notes["patient_key"]) == expected_keys  # same patient -> same key, keyed on FHIR Patient ids
    # note dates come from the resources, shifted by each patient's offset
    truth = _synthea_truth()
    by_key = {patient_key(secret, pid): pid for pid in patients}
    expected_dates = sorted(
        (dt.date.fromisoformat(d) + dt.timedelta(days=date_shift_days(secret, patient_key(secret, p), 365)))
        for p, d in truth.values()
    )
    assert sorted(notes["note_date"].to_list()) == expected_dates
    assert set(notes["note_type"]) >= {"History and physical note"} and len(by_key) == 6


@needs_synthea
def test_when_synthea_gz_is_served_from_s3_then_it_runs_end_to_end(prefect_harness, s3_server, tmp_path):
    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="fhir-export")
    s3.put_object(Bucket="fhir-export", Key="2024-06-01/DocumentReference.ndjson.gz",
                  Body=gzip.compress((SYNTHEA / "DocumentReference.ndjson").read_bytes()))  # fmt: skip
    storage._client.cache_clear()
    result = extract_notes(source="s3://fhir-export/2024-06-01/", output="s3://fhir-export/out", engine="fake")
    assert (result["notes_input"], result["notes_output"]) == (268, 268)


def test_when_hl7_fixtures_run_then_every_message_is_a_note_or_quarantined(prefect_harness, tmp_path):
    result = run(FIXTURES / "hl7", tmp_path / "out")
    q = pl.read_delta(str(tmp_path / "out" / "quarantine"))
    assert result["notes_output"] == 6  # mdm, oru, 2 in the MLLP file, 2 in the batch file
    assert sorted(q["reason"]) == ["bad_encoding_characters", "unsupported_message"]
    notes = pl.read_delta(str(tmp_path / "out" / "notes"))
    assert set(notes["source_format"]) == {"hl7v2"}
    assert notes["text"].str.contains("twice daily").sum() == 3  # OBX text gathered from many segments


def test_when_fhir_bundles_run_then_inline_html_rtf_and_binary_attachments_become_notes(prefect_harness, tmp_path):
    result = run(FIXTURES / "fhir", tmp_path / "out")
    q = pl.read_delta(str(tmp_path / "out" / "quarantine"))
    assert result["notes_output"] == 5 and result["notes_input"] == 5 + q.height
    assert sorted(q["reason"]) == sorted(["not_a_note", "invalid_base64", "missing_attachment", "unresolved_attachment",
                                          "not_a_note", "invalid_json", "unsupported_content_type"])  # fmt: skip
    text = "\n".join(pl.read_delta(str(tmp_path / "out" / "notes"))["text"])
    assert "colchicine 0.6 mg" in text and "<p>" not in text and "\\par" not in text


@pytest.mark.slow
def test_when_the_bad_input_corpus_runs_then_nothing_escapes_and_counts_add_up(prefect_harness, tmp_path, monkeypatch):
    monkeypatch.setenv("CHARTSIFT_SOURCE__MAX_NOTE_CHARS", "6000000")  # the ~5 MB note is allowed through here
    src = tmp_path / "bad"
    src.mkdir()
    (src / "truncated.jsonl").write_text('{"id": "t1", "text": "Assessment: gout."}\n{"id": "t2", "text": "cut he')
    (src / "latin1.txt").write_bytes("Diagnosis: caf\xe9 au lait spots".encode("latin-1"))
    (src / "utf16.txt").write_bytes("Assessment: asthma.".encode("utf-16"))
    (src / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (src / "empty.txt").write_text("")
    big = "Progress: stable on metformin 500 mg daily. Seen by Dr. Miriam Oyelaran.\n" * 70_000
    (src / "huge.txt").write_text(big)  # ~5 MB
    doc = {"resourceType": "DocumentReference", "id": "d1", "status": "current",
           "content": [{"attachment": {"contentType": "text/plain", "data": "%%%notbase64"}}]}  # fmt: skip
    other = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p"}}
    no_att = {"resourceType": "DocumentReference", "id": "d2", "status": "current", "content": []}
    good = {"resourceType": "DocumentReference", "id": "d3", "status": "current",
            "content": [{"attachment": {"contentType": "text/plain",
                                        "data": base64.b64encode(b"Assessment: anemia.").decode()}}]}  # fmt: skip
    (src / "export.ndjson").write_text("\n".join(json.dumps(x) for x in (doc, other, no_att, good)))
    shutil.copy(FIXTURES / "hl7" / "bad_encoding.hl7", src / "bad_encoding.hl7")
    (src / "notes.pdf").write_bytes(b"%PDF-1.7")

    result = run(src, tmp_path / "out")
    q = pl.read_delta(str(tmp_path / "out" / "quarantine"))
    reasons = sorted(q["reason"])
    assert reasons == sorted(["invalid_json", "not_utf8", "binary_content", "empty_note", "invalid_base64",
                              "not_a_note", "missing_attachment", "bad_encoding_characters", "unsupported_format"])  # fmt: skip
    assert result["notes_output"] == 4  # t1, utf16, huge, d3
    assert result["notes_input"] == result["notes_output"] + result["notes_quarantined"] == 4 + len(reasons)
    assert all(m and "caf" not in m for m in q["message"])
    huge = pl.read_delta(str(tmp_path / "out" / "notes")).filter(pl.col("text").str.len_chars() > 1_000_000)
    assert huge.height == 1 and "Oyelaran" not in huge["text"][0]


def test_when_three_notes_are_added_and_one_changed_then_only_those_four_are_processed(
    prefect_harness, s3_server, tmp_path
):
    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="nightly")
    for i in range(5):
        s3.put_object(Bucket="nightly", Key=f"notes/n{i}.txt", Body=f"Assessment: condition {i}. Note {i}.".encode())
    storage._client.cache_clear()
    src, out = "s3://nightly/notes/", "s3://nightly/lake"

    first = extract_notes(source=src, output=out, engine="fake")
    again = extract_notes(source=src, output=out, engine="fake")
    for i in range(5, 8):
        s3.put_object(Bucket="nightly", Key=f"notes/n{i}.txt", Body=f"Assessment: new condition {i}.".encode())
    s3.put_object(Bucket="nightly", Key="notes/n2.txt", Body=b"Assessment: condition 2, revised. Note 2.")
    third = extract_notes(source=src, output=out, engine="fake")

    assert first["notes_input"] == 5 and again["notes_input"] == 0 and again["objects_unchanged"] == 5
    assert third["notes_input"] == 4 and third["objects_changed"] == 1 and third["notes_superseded"] == 1

    def table(name):  # through the Delta log on the S3 server, as a researcher reads it
        return pl.from_arrow(delta.read(f"{out}/{name}", {"notes": tables.NOTES, "facts": tables.FACTS}[name]))

    notes = table("notes")
    assert notes.height == 8 and notes["note_key"].n_unique() == 8  # no duplicates, none lost
    assert notes.filter(pl.col("text").str.contains("revised")).height == 1
    facts = table("facts")
    assert set(facts["note_key"]) <= set(notes["note_key"])  # no facts of superseded rows remain
    full = extract_notes(source=src, output=out, engine="fake", full_refresh=True)
    assert full["notes_input"] == 8 and table("notes").height == 8


def test_when_files_move_vanish_change_or_settings_change_then_each_note_is_held_once(prefect_harness, tmp_path,
                                                                                      monkeypatch):
    """#18's incremental holes, on real runs: a moved file is not processed twice, a deleted file's
    rows go when source.deleted says so, a moved-then-changed file replaces its old rows, and a
    settings change is refused with a clear error or re-processes everything."""
    import os

    from transforms.errors import ConfigError

    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    for name in ("a", "b", "c"):
        (src / f"{name}.txt").write_text(f"Assessment: condition {name}. Plan: follow up.")
    notes = lambda: pl.read_delta(str(out / "notes"))  # noqa: E731
    first = run(src, out)
    (src / "moved").mkdir()
    os.rename(src / "a.txt", src / "moved" / "a.txt")
    (src / "b.txt").unlink()
    kept = run(src, out)
    assert first["notes_input"] == 3 and kept["notes_input"] == 0
    assert (kept["objects_moved"], kept["objects_deleted"], kept["objects_unchanged"]) == (1, 1, 1)
    assert notes().height == 3  # the deleted file's rows are kept by default

    monkeypatch.setenv("CHARTSIFT_SOURCE__DELETED", "remove")
    removed = run(src, out)
    assert removed["objects_deleted"] == 1 and removed["notes_superseded"] == 1 and notes().height == 2
    facts = pl.read_delta(str(out / "facts"))
    assert set(facts["note_key"]) <= set(notes()["note_key"])  # its facts went with it

    (src / "moved" / "a.txt").write_text("Assessment: condition a, revised. Plan: follow up in May.")
    changed = run(src, out)
    assert changed["objects_changed"] == 1 and changed["notes_input"] == 1 and changed["notes_superseded"] == 1
    assert notes().height == 2 and notes()["note_key"].n_unique() == 2
    assert run(src, out)["notes_input"] == 0  # and nothing is pending

    monkeypatch.setenv("CHARTSIFT_INFERENCE__MAX_TOKENS", "300")  # in the fingerprint
    with pytest.raises(ConfigError, match="written under other settings.*--full-refresh"):
        run(src, out)
    monkeypatch.setenv("CHARTSIFT_SOURCE__ON_SETTINGS_CHANGE", "reprocess")
    again = run(src, out)
    assert again["notes_input"] == 2 and again["notes_superseded"] == 2 and notes().height == 2
    assert run(src, out)["notes_input"] == 0  # the new settings are the output's now
