"""Delta tables with time travel: a cohort query on the data of a past run (chartsift query --as-of)."""

import duckdb
import polars as pl
import pytest
from duckdb_extensions import import_extension

from flows import delta
from flows.extract_notes import extract_notes
from flows.query import SQL_DIR, run_sql, split_statements
from transforms.errors import QueryError

pytestmark = pytest.mark.integration

COHORT = "select count(distinct note_key) from facts where lower(name) = 'metformin'"


def _two_runs(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    for i in range(3):
        (src / f"n{i}.txt").write_text(f"Assessment: condition {i}. Plan: metformin 500 mg po daily.")
    first = extract_notes(source=str(src), output=str(out), engine="fake")
    (src / "n1.txt").write_text("Assessment: asthma. Plan: albuterol inhaler.")
    second = extract_notes(source=str(src), output=str(out), engine="fake")
    return out, first, second


def test_when_a_later_run_supersedes_rows_then_as_of_the_earlier_run_returns_its_rows(prefect_harness, tmp_path):
    out, first, second = _two_runs(tmp_path)
    assert second["notes_superseded"] == 1

    assert run_sql(str(out), COHORT).fetchone()[0] == 2  # now: n1 no longer takes metformin
    assert run_sql(str(out), COHORT, as_of=first["run_id"]).fetchone()[0] == 3  # the first run's cohort
    assert run_sql(str(out), COHORT, as_of=second["run_id"]).fetchone()[0] == 2
    # every view answers as of the run: its runs row is the last one, its notes are the ones it held
    assert run_sql(str(out), "select list(run_id) from runs", as_of=first["run_id"]).fetchone()[0] == [first["run_id"]]
    assert run_sql(str(out), "select count(*) from notes", as_of=first["run_id"]).fetchone()[0] == 3
    assert run_sql(str(out), "select count(*) from chartsift_note_nlp", as_of=first["run_id"]).fetchone()[0] > 0
    # the versions each run recorded; a notes version resolves to the run that committed it
    assert first["table_versions"]["notes"] == 0 and second["table_versions"]["notes"] == 1
    assert run_sql(str(out), COHORT, as_of="0").fetchone()[0] == 3
    assert run_sql(str(out), "select count(*) from runs", as_of="0").fetchone()[0] == 1
    # a time: the tables as they were then (before the first run: empty, not an error)
    published = delta.commits(str(out / "runs"))[0]["committed_at"]  # the first run's last commit
    assert run_sql(str(out), COHORT, as_of=published.isoformat()).fetchone()[0] == 3
    assert run_sql(str(out), "select count(*) from notes", as_of="2020-01-01").fetchone()[0] == 0
    with pytest.raises(QueryError, match="not a run id of this output"):
        run_sql(str(out), COHORT, as_of="no-such-run")
    with pytest.raises(QueryError, match="no version 7"):
        run_sql(str(out), COHORT, as_of="7")


def test_when_researchers_read_the_tables_without_chartsift_then_duckdb_and_polars_time_travel(prefect_harness, tmp_path):
    out, first, _ = _two_runs(tmp_path)
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "extension_directory": str(tmp_path / "ext")})
    import_extension("delta", con=con)  # the duckdb-extension-delta wheel: no download
    con.sql("LOAD delta")
    con.execute("SET VARIABLE chartsift_output = ?", [str(out)])
    for stmt in split_statements((SQL_DIR / "views.sql").read_text()):  # sql/views.sql as a plain session runs it
        con.sql(stmt)
    assert con.sql(COHORT).fetchone()[0] == 2
    assert con.sql(f"select count(*) from delta_scan('{out}/notes', version => 0)").fetchone()[0] == 3
    old = pl.read_delta(str(out / "facts"), version=first["table_versions"]["facts"])
    assert old.filter(pl.col("name").str.to_lowercase() == "metformin")["note_key"].n_unique() == 3


def test_when_tables_are_compacted_then_rows_and_time_travel_stay_and_vacuum_is_asked_for(prefect_harness, tmp_path):
    from flows.maintain import maintain

    out, first, _ = _two_runs(tmp_path)
    before = run_sql(str(out), "select count(*) from notes").fetchone()[0]
    done = maintain(str(out))
    assert done["runs"]["files_removed"] == 2 and done["runs"]["files_added"] == 1 and done["notes"]["files_vacuumed"] == 0
    assert run_sql(str(out), "select count(*) from notes").fetchone()[0] == before
    assert run_sql(str(out), COHORT, as_of=first["run_id"]).fetchone()[0] == 3  # no vacuum: the past stays
    assert delta.commits(str(out / "runs"))[-1]["run_id"].startswith("maintain-")
    maintain(str(out), vacuum_hours=0)  # asked for: the files of superseded versions go
    assert run_sql(str(out), COHORT).fetchone()[0] == 2
    with pytest.raises(QueryError, match="were vacuumed"):
        run_sql(str(out), COHORT, as_of=first["run_id"])
