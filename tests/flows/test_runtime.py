"""De-identification on worker processes (flows.runtime.deidentify_on_workers): the same outcome
as one process, surrogates consistent for a patient whose notes land on different workers."""

import json

import pytest

from flows.runtime import MIN_NOTES_FOR_POOL, deid_policy, deidentify_on_workers
from flows.settings import DeidSettings
from tests.support import ROOT, SITE_SECRET
from transforms.deid.stage import split_for_workers
from transforms.records import SourceNote


def test_when_notes_are_split_for_workers_then_ranges_cover_them_in_whole_batches():
    assert split_for_workers(100, 2, batch=32) == [(0, 32), (32, 64), (64, 96), (96, 100)]
    assert split_for_workers(10, 4, batch=32) == [(0, 10)]
    assert len(split_for_workers(4000, 2, batch=32)) == 9  # about four ranges per worker (480 notes each)
    ranges = split_for_workers(1000, 3, batch=32)
    assert ranges[0][0] == 0 and ranges[-1][1] == 1000 and all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))


@pytest.mark.slow
@pytest.mark.integration
def test_when_two_workers_de_identify_then_the_outcome_equals_one_process():
    records = [json.loads(line) for line in (ROOT / "benchmarks" / "data" / "deid-heldout.jsonl").read_text().splitlines()]
    records = (records * 2)[: 2 * MIN_NOTES_FOR_POOL]
    # four patients, each with notes in both halves (so on both workers)
    notes = [SourceNote(str(i), r["text"], "gold.jsonl", f"line {i + 1}", "jsonl", patient_id=f"p{i % 4}")
             for i, r in enumerate(records)]  # fmt: skip
    policy = deid_policy(DeidSettings(secret=SITE_SECRET))
    one = deidentify_on_workers(policy, notes, ["gold.jsonl"] * len(notes), None, workers=1)
    two = deidentify_on_workers(policy, notes, ["gold.jsonl"] * len(notes), None, workers=2)
    assert [n.note_key for n in two.notes] == [n.note_key for n in one.notes]
    assert [n.result.text for n in two.notes] == [n.result.text for n in one.notes]
    assert [(q.note_key, q.reason) for q in two.quarantined] == [(q.note_key, q.reason) for q in one.quarantined]
    assert two.phi == one.phi and len(two.notes) + len(two.quarantined) == len(notes)


def test_when_settings_set_the_span_threshold_and_the_floors_then_the_policy_carries_them():
    policy = deid_policy(DeidSettings(secret=SITE_SECRET, tagger_span_threshold=0.1, tagger_proper_floor=1.0,
                                      tagger_misspelt_floor=0.0, tagger_wordlike_floor=0.0))  # fmt: skip
    assert policy.span_threshold == 0.1 and policy.proper_floor == 1.0 and policy.misspelt_floor == 0.0
    assert policy.wordlike_floor == 0.0
    default = deid_policy(DeidSettings(secret=SITE_SECRET))
    assert default.proper_floor == 0.005  # recall first by default: unknown proper nouns kept from P 0.005
    assert default.misspelt_floor == 0.9  # misspellings only from P 0.9 (0.5 before 0.25)
    assert default.wordlike_floor == 0.9
