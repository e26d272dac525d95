"""Codes between stages: an unknown code is refused where it is made; every reason is documented."""

import pytest

from tests.support import ROOT
from transforms.codes import Reason, Stage
from transforms.records import Quarantined


def test_when_a_quarantine_record_is_made_then_its_codes_are_checked_and_stay_plain_strings():
    q = Quarantined("s", "line 1", "jsonl", "parse", "invalid_json", "JSON does not parse")
    assert q.stage is Stage.PARSE and q.reason is Reason.INVALID_JSON and q.reason == "invalid_json"
    with pytest.raises(ValueError):
        Quarantined("s", "line 1", "jsonl", "parse", "invalid_jsno", "typo")
    with pytest.raises(ValueError):
        Quarantined("s", "line 1", "jsonl", "load", "invalid_json", "no such stage")


def test_every_quarantine_reason_is_listed_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert [r.value for r in Reason if f"`{r.value}`" not in readme] == []


def test_when_codes_are_printed_then_they_read_as_plain_strings():
    assert repr({Reason.PHI_LEAK: 1}) == "{'phi_leak': 1}" and f"{Stage.DEID}" == "deid"
