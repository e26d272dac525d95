"""The ids table (OMOP integer ids) as finalize writes it."""

from flows import storage
from flows.omop_ids import assign_ids
from flows.publish import staged_keys
from flows.upgrade import upgrade_output
from tests.flows.test_upgrade import _old_output
from transforms import tables


def test_when_ids_are_assigned_twice_by_one_run_then_the_second_gives_the_same_ids(tmp_path):
    """A retried finalize assigns ids again: its own earlier part must not hide its keys (it was
    overwritten with an empty part)."""
    layout = _old_output(tmp_path)
    upgrade_output(str(tmp_path))
    notes = tables.build_table([{"note_key": "z1", "patient_key": "q", "run_id": "r2"}], tables.NOTES)
    storage.write_parquet(notes, layout.shard_rows("s1", "notes"))
    for table, schema in (("facts", tables.FACTS), ("facts_ungrounded", tables.FACTS_UNGROUNDED)):
        storage.write_parquet(schema.empty_table(), layout.shard_rows("s1", table))
    assert assign_ids(str(tmp_path), "r1", staged_keys(str(tmp_path), [])) == 7  # the first: every key the tables hold (6 notes, 1 patient)
    first = assign_ids(str(tmp_path), "r2", staged_keys(str(tmp_path), ["s1"]))
    again = assign_ids(str(tmp_path), "r2", staged_keys(str(tmp_path), ["s1"]))
    assert first == again == 2  # note z1 and patient q, both times
    assert storage.read_parquet(layout.run_file("ids", "r2")).num_rows == 2
