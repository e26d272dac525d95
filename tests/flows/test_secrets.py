"""Site secret: refused when missing or weak (samples exempt), separate subkeys, no oracle in the
fingerprint, one key per output, note keys scoped by object."""

import json
import subprocess
import sys
import time

import polars as pl
import pytest

from flows import ledger
from flows.settings import DEV_SECRET, Settings
from tests.support import ROOT, SITE_SECRET
from transforms import keys
from transforms.errors import ConfigError, KeyMismatch


@pytest.mark.parametrize("secret", [DEV_SECRET, "...", "short-secret", "a" * 40])
def test_when_secret_is_missing_or_weak_then_a_real_source_is_refused(secret, tmp_path):
    s = Settings(deid={"secret": secret}, source={"uri": str(tmp_path)})
    with pytest.raises(ConfigError, match="CHARTSIFT_DEID__SECRET"):
        s.require_site_secret()


def test_when_source_is_the_shipped_samples_then_no_secret_is_needed():
    Settings(deid={"secret": DEV_SECRET}, source={"uri": str(ROOT / "samples" / "notes")}).require_site_secret()


def test_when_secret_is_strong_then_a_real_source_runs_its_check(tmp_path):
    Settings(deid={"secret": SITE_SECRET}, source={"uri": str(tmp_path)}).require_site_secret()


def test_when_cli_runs_without_secret_then_it_exits_with_one_line_before_prefect_starts(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("Pt seen today.")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PREFECT_HOME": str(tmp_path / "prefect")}
    p = subprocess.run([sys.executable, "-m", "flows.cli", "run", "--source", str(tmp_path / "src"),
                        "--output", str(tmp_path / "out"), "--engine", "fake"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)  # fmt: skip
    assert p.returncode == 2, p.stderr[-2000:]
    assert "CHARTSIFT_DEID__SECRET is not set" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "out").exists()


def test_when_keys_are_derived_then_each_purpose_has_its_own_subkey():
    secret = SITE_SECRET.encode()
    subs = {keys.subkey(secret, p) for p in keys.PURPOSES}
    assert len(subs) == len(keys.PURPOSES) and secret not in subs
    assert keys.subkey(secret, "note-key") != keys.subkey(b"other-" + secret, "note-key")
    # a patient key is not the note key of the same id, nor a plain HMAC under the site secret
    assert keys.patient_key(secret, "MRN1") != keys.note_key(secret, "MRN1")
    assert keys.patient_key(secret, "MRN1") != keys.keyed_hash(secret, "patient", "MRN1")


def test_when_fingerprinted_then_no_plain_digest_of_the_secret_can_be_tested():
    import hashlib
    import hmac

    secret = "rel-secret-A1"
    fp_data = json.dumps(Settings(deid={"secret": secret}).model_dump(mode="json"), default=str)
    fingerprint_inputs = {Settings(deid={"secret": secret}).deid.key_id}
    guesses = [hashlib.sha256(b"fingerprint:" + secret.encode()).hexdigest()[:12],
               hashlib.sha256(secret.encode()).hexdigest()[:16],
               hmac.new(secret.encode(), b"key-id", hashlib.sha256).hexdigest()[:16]]  # fmt: skip
    for g in guesses:
        assert all(g not in x for x in fingerprint_inputs) and g not in fp_data
    # the key id costs a stretched derivation (PBKDF2, 200k rounds) per guess
    t0 = time.perf_counter()
    keys._root.__wrapped__(b"one-guess")
    assert time.perf_counter() - t0 > 0.02


def test_when_output_was_written_under_another_key_then_the_run_is_refused(tmp_path):
    ledger.check_key(str(tmp_path), "k1")
    ledger.check_key(str(tmp_path), "k1")
    with pytest.raises(KeyMismatch, match="key id"):
        ledger.check_key(str(tmp_path), "k2")


def test_when_two_objects_share_a_file_name_then_no_note_or_fact_is_lost(prefect_harness, tmp_path):
    from flows.extract_notes import extract_notes

    src = tmp_path / "src"
    for d, drug in (("a", "metformin 500 mg daily"), ("b", "lisinopril 10 mg daily")):
        (src / d).mkdir(parents=True)
        (src / d / "visit.txt").write_text(f"Assessment: hypertension. Plan: continue {drug}.")
    run = extract_notes(source=str(src), output=str(tmp_path / "out"), engine="fake")
    assert (run["notes_input"], run["notes_output"]) == (2, 2)
    notes = pl.read_delta(str(tmp_path / "out" / "notes"))
    facts = pl.read_delta(str(tmp_path / "out" / "facts"))
    assert notes["note_key"].n_unique() == 2
    assert facts["fact_id"].n_unique() == len(facts) and facts["note_key"].n_unique() == 2
    # changing one of them supersedes its rows only
    before_b = facts.filter(pl.col("note_key") == notes.filter(pl.col("text").str.contains("lisinopril"))["note_key"][0])
    (src / "a" / "visit.txt").write_text("Assessment: diabetes. Plan: continue metformin 1000 mg daily.")
    extract_notes(source=str(src), output=str(tmp_path / "out"), engine="fake")
    facts2 = pl.read_delta(str(tmp_path / "out" / "facts"))
    assert set(before_b["fact_id"]) <= set(facts2["fact_id"])
    assert pl.read_delta(str(tmp_path / "out" / "notes"))["note_key"].n_unique() == 2


def test_when_the_source_lists_nothing_then_the_run_fails_unless_empty_is_allowed(prefect_harness, tmp_path, monkeypatch):
    from flows.extract_notes import extract_notes
    from transforms.errors import EmptySource

    (tmp_path / "src").mkdir()
    with pytest.raises(EmptySource, match="lists no objects"):
        extract_notes(source=str(tmp_path / "src"), output=str(tmp_path / "out"), engine="fake")
    monkeypatch.setenv("CHARTSIFT_SOURCE__ALLOW_EMPTY", "true")
    run = extract_notes(source=str(tmp_path / "src"), output=str(tmp_path / "out"), engine="fake")
    assert run["notes_input"] == 0


def test_when_a_jsonl_object_is_empty_then_the_run_counts_it(prefect_harness, tmp_path):
    from flows.extract_notes import extract_notes

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "empty.jsonl").write_text("")
    (tmp_path / "src" / "a.txt").write_text("Pt seen today.")
    run = extract_notes(source=str(tmp_path / "src"), output=str(tmp_path / "out"), engine="fake")
    assert (run["notes_input"], run["notes_output"], run["objects_empty"]) == (1, 1, 1)
