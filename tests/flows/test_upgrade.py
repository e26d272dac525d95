"""An output written as Parquet folders (before the Delta tables) is upgraded in place by the next run."""

import datetime as dt

from flows import delta, storage
from flows.layout import OutputLayout
from flows.upgrade import upgrade_output
from transforms import tables


def _old_output(root) -> OutputLayout:  # noqa: ANN001
    layout = OutputLayout(str(root))
    for shard in ("a" * 24, "b" * 24):
        notes = [{"note_key": f"{shard[0]}{i}", "patient_key": "p", "source_key": "s", "text": "t", "run_id": "r1"}
                 for i in range(3)]  # fmt: skip
        storage.write_parquet(tables.build_table(notes, tables.NOTES), layout.table("notes") + f"/part-{shard}.parquet")
    # an older runs row: it lacks the columns added since (they come back null)
    run = tables.build_table([{"run_id": "r1", "ended_at": dt.datetime.now(dt.UTC), "notes_input": 6}], tables.RUNS)
    storage.write_parquet(run.drop_columns(["table_versions", "objects_moved"]), layout.table("runs") + "/run-r1.parquet")
    return layout


def test_when_an_output_of_parquet_folders_is_upgraded_then_every_row_is_in_its_delta_table(tmp_path):
    layout = _old_output(tmp_path)
    assert upgrade_output(str(tmp_path)) == {"notes": 6, "runs": 1}
    notes = delta.read(layout.table("notes"), tables.NOTES)
    assert sorted(notes["note_key"].to_pylist()) == ["a0", "a1", "a2", "b0", "b1", "b2"]
    runs = delta.read(layout.table("runs"), tables.RUNS).to_pylist()
    assert runs[0]["notes_input"] == 6 and runs[0]["table_versions"] is None
    assert not [p for p in (tmp_path / "notes").iterdir() if p.name.startswith("part-a") or p.name.startswith("part-b")]
    assert upgrade_output(str(tmp_path)) == {}  # once


def test_when_the_upgrade_died_before_removing_the_old_parts_then_the_next_run_only_removes_them(tmp_path):
    layout = _old_output(tmp_path)
    real = storage.delete
    try:
        storage.delete = lambda uri: (_ for _ in ()).throw(RuntimeError("killed"))  # noqa: E731
        try:
            upgrade_output(str(tmp_path))
        except RuntimeError:
            pass
    finally:
        storage.delete = real
    assert (tmp_path / "notes" / f"part-{'a' * 24}.parquet").exists()
    assert upgrade_output(str(tmp_path)) == {"runs": 1}  # notes is there: not converted twice; runs was not yet
    assert delta.read(layout.table("notes"), tables.NOTES).num_rows == 6
    assert not (tmp_path / "notes" / f"part-{'a' * 24}.parquet").exists()

