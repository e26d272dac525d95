"""The incremental state a plan starts from: none yet, corrupt, or unreadable."""

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
