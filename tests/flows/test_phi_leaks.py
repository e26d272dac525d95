"""No PHI from the sample notes in the Prefect database, task results, logs, or output columns."""

import json
import logging
import re
from pathlib import Path

import polars as pl
import pytest
from prefect.logging.handlers import APILogWorker
from prefect.settings import get_current_settings

from flows.extract_notes import extract_notes
from tests.support import SAMPLES

pytestmark = pytest.mark.integration


def _db_path() -> Path:
    url = get_current_settings().server.database.connection_url.get_secret_value()
    return Path(url.split("///", 1)[1])


_NOISE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"  # UUIDs (run ids, keys)
    r"|\b[0-9a-fA-F]{16,}\b"  # hashes and cache keys
    r"|\d+\.\d+(?:[eE][-+]?\d+)?"  # floats: durations, timestamps' fractions
)


def _planted_before(number: str) -> str | None:
    """The word the sample notes put right before a short number ("pager" for 4417), if any."""
    for p in sorted(SAMPLES.rglob("*")):
        if p.is_file():
            m = re.search(rf"([A-Za-z]+)\W{{1,3}}{number}(?![0-9])", p.read_bytes().decode("utf-8", "ignore"))
            if m:
                return m.group(1)
    return None


def _find(blob: str, phi: list[str]) -> list[str]:
    """PHI strings present as whole tokens.

    Random identifiers are removed first: a pager number such as 4417 is one UUID group in about
    4,000, and Prefect's database holds hundreds of UUIDs, so a bare token search fails by chance.
    For the same reason a number of four digits or fewer counts only with the word the note puts
    before it ("pager 4417"): alone, it is one of the many numbers a database file holds (a CI run
    failed on a bare 4417 that the same run, repeated, did not write).
    """
    cleaned = _NOISE.sub(" ", blob)
    found = []
    for s in phi:
        before = _planted_before(s) if s.isdigit() and len(s) <= 4 else None
        lead = rf"(?i:{re.escape(before)})\W{{1,3}}" if before else r"(?<![A-Za-z0-9])"
        if re.search(rf"{lead}{re.escape(s)}(?![A-Za-z0-9])", cleaned):
            found.append(s)
    return found


def test_noise_filter_keeps_real_leaks_and_drops_uuid_groups():
    assert _find("run 3f2a9c1e-4417-4b2c-8d9e-0123456789ab ok 12.4417", ["4417"]) == []
    assert _find("-- RN Patel, pager 4417.", ["4417", "Patel"]) == ["4417", "Patel"]
    assert _find('{"size": 4417, "rows": 12}', ["4417"]) == []


def test_when_the_flow_runs_then_no_sample_phi_leaves_the_deidentified_output(
    prefect_harness, tmp_path, sample_phi, caplog, capfd
):
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "out"
    result = extract_notes(source=str(SAMPLES), output=str(out), engine="fake")
    APILogWorker.drain_all(timeout=30)  # logs reach the database before we read it

    # the flow's return value (what Prefect would persist as a result) and what it printed or logged
    assert _find(json.dumps(result, default=str), sample_phi) == []
    captured = capfd.readouterr()
    assert _find(captured.out + captured.err, sample_phi) == []
    assert _find("\n".join(r.getMessage() for r in caplog.records), sample_phi) == []

    # Prefect's database: flow/task runs, parameters, states, logs (checked to be non-empty)
    db = _db_path()
    blob = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*")).decode("utf-8", "replace")
    assert "extract-notes" in blob and "deidentify-shard" in blob
    assert _find(blob, sample_phi) == []

    # every output column of every table, the de-identified text included
    for table in ("notes", "facts", "runs"):
        frame = pl.read_delta(str(out / table))
        assert frame.height > 0
        assert _find(frame.write_json(), sample_phi) == [], table


def test_when_file_names_carry_a_name_and_mrn_then_neither_reaches_any_table_report_or_prefect(
    prefect_harness, tmp_path, capfd
):
    planted = ["Wojciechowska", "Bartholomea", "48213377"]
    src = tmp_path / "archive"
    src.mkdir()
    stem = "Wojciechowska_Bartholomea_MRN48213377_20240301"
    (src / f"{stem}.txt").write_text("Pt seen for follow-up of hypertension. Continue lisinopril 10 mg daily.\n")
    (src / f"{stem}_addendum.jsonl").write_text('{"id": "a1", "text": }\n')  # a quarantined sibling
    out = tmp_path / "out"
    result = extract_notes(source=str(src), output=str(out), engine="fake")
    APILogWorker.drain_all(timeout=30)
    assert (result["notes_output"], result["notes_quarantined"]) == (1, 1)
    captured = capfd.readouterr()
    assert _find(json.dumps(result, default=str) + captured.out + captured.err, planted) == []
    for table in ("notes", "facts", "runs", "quarantine", "metrics"):
        assert _find(pl.read_delta(str(out / table)).write_json(), planted) == [], table
    for p in list((out / "audit").glob("*")) + list((out / "reports").glob("*")):
        assert _find(p.read_text(), planted) == [], p.name
    db = _db_path()
    blob = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*")).decode("utf-8", "replace")
    assert _find(blob, planted) == []


def test_when_titles_carry_a_name_then_no_table_holds_it(prefect_harness, tmp_path):
    planted = ["Wojciechowska", "Bartholomea"]
    src = tmp_path / "src"
    src.mkdir()
    (src / "letters.jsonl").write_text(json.dumps({
        "id": "n1", "patient_id": "p1", "note_type": "Oncology letter to Bartholomea Wojciechowska",
        "text": "Follow-up visit. Continue tamoxifen 20 mg daily."}) + "\n")  # fmt: skip
    seps = "MSH|^~\\&|EHR|HOSP|||20240301||MDM^T02|m1|P|2.5\rPID|||p2\r"
    (src / "doc.hl7").write_text(seps + "TXA|1|Discharge summary for Bartholomea Wojciechowska|TX|20240301||||||||d9\r"
                                 "OBX|1|TX|||Discharged home in stable condition.\r")  # fmt: skip
    out = tmp_path / "out"
    run = extract_notes(source=str(src), output=str(out), engine="fake")
    assert run["notes_output"] == 2, run["quarantine_by_reason"]
    notes = pl.read_delta(str(out / "notes"))
    assert notes["note_type"].null_count() < 2  # the titles are kept, de-identified
    for table in ("notes", "facts", "runs"):
        assert _find(pl.read_delta(str(out / table)).write_json(), planted) == [], table
