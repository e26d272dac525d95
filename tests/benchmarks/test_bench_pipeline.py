"""`chartsift bench pipeline` and `bench deid-workers` on a few notes: the code path runs and
its figures are consistent (the real figures come from the full-size runs in the closing note)."""

import pytest

from flows.bench import bench_deid_workers, bench_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_when_the_pipeline_is_benched_then_each_stage_and_the_whole_are_timed():
    r = bench_pipeline(n=96, token_delay_s=0.0005, rss_factor=2)
    assert r["deid_s"] > 0 and r["inference_s"] > 0 and r["whole_s"] > 0
    assert r["ratio_whole_to_slowest"] == r["whole_s"] / max(r["deid_s"], r["inference_s"])
    assert r["big_notes"] == 192 and r["peak_rss_kb"] > 100_000 and r["rss_ratio"] > 0


def test_when_deid_workers_are_benched_then_both_sides_see_the_same_notes():
    r = bench_deid_workers(n=128, workers=2, repeats=1)
    assert r["one_process_notes_per_s"] > 0 and r["workers_notes_per_s"] > 0 and r["workers"] == 2
