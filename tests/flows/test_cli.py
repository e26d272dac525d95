import json

import duckdb
import pytest
from duckdb_extensions import import_extension
from typer.testing import CliRunner

from flows.cli import app
from tests.support import ROOT, SAMPLES

runner = CliRunner()


def test_when_deid_runs_then_output_keeps_the_contract_with_offsets_into_the_original(tmp_path, sample_phi):
    out = tmp_path / "deid.jsonl"
    res = runner.invoke(app, ["deid", "--input", str(SAMPLES / "clinic.jsonl"), "--output", str(out)])
    assert res.exit_code == 0, res.output
    originals = {json.loads(line)["id"]: json.loads(line)["text"] for line in (SAMPLES / "clinic.jsonl").open()}
    rows = [json.loads(line) for line in out.open()]
    assert len(rows) == len(originals)
    for row in rows:
        assert set(row) == {"id", "text", "spans"}
        original = originals[row["id"]]
        for s in row["spans"]:
            assert set(s) == {"start", "end", "type"} and 0 <= s["start"] < s["end"] <= len(original)
        assert not [p for p in sample_phi if p in row["text"]]
    first = rows[0]
    assert {originals[first["id"]][s["start"] : s["end"]] for s in first["spans"]} >= {"Harold Beckwith"}


def test_when_deid_input_has_a_bad_line_then_exit_code_is_1_and_good_lines_are_written(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "Seen by Dr. Smith."}\n{"id": "b", "text": \n')
    res = runner.invoke(app, ["deid", "--input", str(src), "--output", str(tmp_path / "o.jsonl")])
    assert res.exit_code == 1 and "invalid_json" in res.output
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 1


def test_when_deid_meets_a_note_whose_phi_survives_then_it_refuses_to_write_it(tmp_path, monkeypatch):
    from presidio_anonymizer.entities import OperatorConfig

    from flows.state import STATE
    from transforms.deid import Deidentifier

    real = Deidentifier._operator

    def weakened(self, entity, scope, shift, *rest):  # a de-identifier that keeps names: the guard must catch it
        return OperatorConfig("keep") if entity == "PERSON" else real(self, entity, scope, shift, *rest)

    monkeypatch.setattr(Deidentifier, "_operator", weakened)
    monkeypatch.setattr(STATE, "deidentifiers", {})
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "Patient: Harold Beckwith. Assessment: asthma."}\n'
                   '{"id": "b", "text": "Assessment: gout. Plan: colchicine 0.6 mg daily."}\n')  # fmt: skip
    res = runner.invoke(app, ["deid", "--input", str(src), "--output", str(tmp_path / "o.jsonl")])
    assert res.exit_code == 1 and "phi_leak" in res.output and "Beckwith" not in res.output
    rows = [json.loads(line) for line in (tmp_path / "o.jsonl").open()]
    assert [r["id"] for r in rows] == ["b"]


@pytest.mark.integration
def test_when_run_is_called_then_summary_adds_up_and_sql_views_work(prefect_harness, tmp_path):
    res = runner.invoke(app, ["run", "--source", str(SAMPLES), "--output", str(tmp_path / "out"), "--engine", "fake"])
    assert res.exit_code == 0, res.output
    assert "notes in" in res.output and "12" in res.output
    res = runner.invoke(app, ["query", "select count(*) as n from notes", "--output", str(tmp_path / "out")])
    assert res.exit_code == 0 and "12" in res.output
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "extension_directory": str(tmp_path / "ext")})
    import_extension("delta", con=con)  # the same views in a plain DuckDB session (the delta extension's wheel)
    con.sql("LOAD delta")
    con.execute("SET VARIABLE chartsift_output = ?", [str(tmp_path / "out")])
    con.sql((ROOT / "sql" / "views.sql").read_text())
    assert con.sql("select count(*) from notes").fetchone()[0] == 12
    assert con.sql("select count(*) from facts").fetchone()[0] > 0


def test_when_a_setting_is_invalid_then_the_cli_says_which_in_one_line_with_exit_2(tmp_path, monkeypatch):
    res = runner.invoke(app, ["run", "--source", str(tmp_path / "Beckwith_Harold_MRN123"), "--output",
                              str(tmp_path / "out"), "--engine", "vllm please"])  # fmt: skip
    assert res.exit_code == 2 and "inference.engine" in res.output and "Traceback" not in res.output
    assert "Beckwith" not in res.output and "vllm please" not in res.output  # values are never echoed
    monkeypatch.setenv("CHARTSIFT_DEID__MAX_SHIFT_DAYS", "-5")
    res = runner.invoke(app, ["run", "--source", str(SAMPLES), "--output", str(tmp_path / "out")])
    assert res.exit_code == 2 and "deid.max_shift_days" in res.output and res.output.count("\n") <= 3


def test_when_a_chartsift_error_escapes_a_command_then_main_prints_one_line_and_its_exit_code(monkeypatch, capsys):
    import flows.cli as cli
    from transforms.errors import KeyMismatch

    def boom(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise KeyMismatch("the output was written under key id k1 but this run's key id is k2")

    monkeypatch.setattr(cli, "app", boom)
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 1 and "KeyMismatch" in capsys.readouterr().err


def test_when_a_registry_profile_is_missing_then_the_command_says_so_in_one_line(tmp_path):
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "flows.cli", "registry", "extract", "--profile", "no-such-registry",
                          "--output", str(tmp_path), "--delivery", str(tmp_path / "d")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip
    assert res.returncode == 2 and "registry profile cannot be read: no-such-registry.yaml" in res.stderr + res.stdout
    assert "Traceback" not in res.stderr + res.stdout
