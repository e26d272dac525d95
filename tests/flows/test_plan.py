"""Planning over the incremental state: none yet, corrupt or unreadable; moved, deleted and changed objects; a settings change."""

import pytest

from flows import plan, storage
from flows.layout import OutputLayout
from transforms.errors import TerminalError


def test_when_there_is_no_state_yet_then_every_object_is_new(tmp_path):
    assert plan.load_state(OutputLayout(str(tmp_path)).source_state("/src")) == {"objects": {}}


def test_when_the_state_is_torn_then_the_run_stops_with_a_clear_error(tmp_path):
    uri = OutputLayout(str(tmp_path)).source_state("/src")
    storage.write_bytes(uri, b"")
    with pytest.raises(TerminalError, match="incremental state is corrupt"):
        plan.load_state(uri)


def test_when_the_state_cannot_be_read_then_the_error_propagates_instead_of_a_full_reread(tmp_path, monkeypatch):
    def denied(uri):  # noqa: ANN001, ANN202 - what storage raises for S3 AccessDenied
        raise TerminalError("S3 AccessDenied")

    monkeypatch.setattr(storage, "read_bytes", denied)
    with pytest.raises(TerminalError, match="AccessDenied"):
        plan.load_state(OutputLayout(str(tmp_path)).source_state("/src"))


def _source(path, **kw):
    from flows.settings import SourceSettings

    return SourceSettings(uri=str(path), **kw)


def _state_of(p):
    """The state an earlier run leaves after reading every object of a plan."""
    return {"objects": dict(p.seen)}


def test_when_an_object_is_renamed_then_it_is_moved_not_read_again_and_keeps_its_rows_uri(tmp_path):
    import os

    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text(f"Assessment: {name}.")
    state = _state_of(plan.plan_shards(_source(tmp_path)))
    (tmp_path / "sub").mkdir()
    os.rename(tmp_path / "a.txt", tmp_path / "sub" / "a2.txt")  # a move keeps the content (and mtime)
    (tmp_path / "b.txt").unlink()
    p = plan.plan_shards(_source(tmp_path), state)
    a, a2, b = (str(tmp_path / n) for n in ("a.txt", "sub/a2.txt", "b.txt"))
    assert p.moved == {a2: a} and p.seen[a2]["rows_uri"] == a and p.shards == []
    assert p.deleted == {b: b} and p.skipped_unchanged == 1 and p.listed == 2

    # moved again, then changed: read again, and the rows to supersede are those keyed by the first name
    state = {"objects": {**{k: v for k, v in state["objects"].items() if k not in (a, b)}, **p.seen}}
    (tmp_path / "sub" / "a2.txt").write_text("Assessment: a, revised and longer.")
    p = plan.plan_shards(_source(tmp_path), state)
    assert p.changed == [a2] and p.moved_rows == {a2: a} and p.moved == {} and len(p.shards) == 1


def test_when_a_full_refresh_is_planned_then_nothing_counts_as_moved(tmp_path):
    import os

    (tmp_path / "a.txt").write_text("Assessment: a.")
    state = _state_of(plan.plan_shards(_source(tmp_path)))
    os.rename(tmp_path / "a.txt", tmp_path / "b.txt")
    p = plan.plan_shards(_source(tmp_path), state, full_refresh=True)
    assert p.moved == {} and p.deleted == {} and len(p.shards) == 1


def test_when_two_vanished_objects_had_the_same_content_then_one_moves_and_the_other_is_deleted(tmp_path):
    (tmp_path / "z.txt").write_text("12345")
    os_stat = (tmp_path / "z.txt").stat()
    etag = f"{os_stat.st_mtime_ns}-{os_stat.st_size}"
    state = {"objects": {u: {"etag": etag, "size": 5} for u in ("/old/x.txt", "/old/y.txt")}}
    p = plan.plan_shards(_source(tmp_path), state)
    assert p.moved == {str(tmp_path / "z.txt"): "/old/x.txt"} and p.deleted == {"/old/y.txt": "/old/y.txt"}


def test_when_the_output_was_written_under_other_settings_then_the_run_is_refused_or_refreshed():
    from transforms.errors import ConfigError

    state = {"objects": {"/a.txt": {"etag": "e", "size": 1}}, "fingerprint": "f-old"}
    assert not plan.settings_changed(state, "f-old", "refuse")
    assert not plan.settings_changed({"objects": state["objects"]}, "f-new", "refuse")  # written before it was kept
    assert not plan.settings_changed({"objects": {}, "fingerprint": "f-old"}, "f-new", "refuse")  # nothing read yet
    assert plan.settings_changed(state, "f-new", "reprocess")
    with pytest.raises(ConfigError, match="other settings .*f-old.*f-new.*--full-refresh"):
        plan.settings_changed(state, "f-new", "refuse")
