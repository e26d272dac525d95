from transforms.monitor import DriftPolicy, add_stats, compare, drift_warnings, run_metrics, shard_stats

NOTES = [{"extraction_status": "ok"}, {"extraction_status": "error"}]
FACTS = [
    {"fact_type": "medication", "grounding": "exact", "attributes": {"dose": "5 mg", "route": "oral"}},
    {"fact_type": "medication", "grounding": "ungrounded", "attributes": {}},
    {"fact_type": "diagnosis", "grounding": "exact", "attributes": {"status": "active"}},
]


def test_when_shards_are_added_then_run_metrics_are_rates_over_the_whole_run():
    stats = add_stats([shard_stats(NOTES, FACTS), shard_stats(NOTES, [])])
    m = run_metrics(stats, notes_input=5, notes_quarantined=1, phi_by_type={"PERSON": 8})
    assert m["schema_valid_rate"] == 0.5 and m["quarantine_rate"] == 0.2
    assert m["facts_per_note.medication"] == 0.5 and m["facts_per_note.lab"] == 0.0
    assert m["grounded_rate"] == 2 / 3 and m["phi_per_note.PERSON"] == 2.0
    assert m["null_rate.medication.dose"] == 0.5 and m["null_rate.medication.frequency"] == 1.0
    assert "null_rate.lab.value" not in m  # no labs: no rate invented


def test_when_a_metric_leaves_the_band_then_it_is_drift_and_not_before_enough_history():
    history = [{"x": 1.0, "y": 0.50}, {"x": 1.1, "y": 0.52}, {"x": 0.9, "y": 0.49}]
    policy = DriftPolicy(min_baseline_runs=3)
    assert {r["status"] for r in compare({"x": 1.0, "y": 0.5}, history[:2], policy)} == {"no_baseline"}
    rows = {r["metric"]: r for r in compare({"x": 1.05, "y": 0.05}, history, policy)}
    assert rows["x"]["status"] == "ok" and rows["y"]["status"] == "drift"
    assert rows["y"]["baseline_runs"] == 3 and rows["y"]["lower"] < 0.5 < rows["y"]["upper"]
    [warning] = drift_warnings(rows.values())
    assert warning.startswith("drift: y = 0.050")


def test_when_the_baseline_is_constant_then_the_tolerance_floor_keeps_small_noise_ok():
    history = [{"r": 0.8}] * 5
    policy = DriftPolicy(rel_tolerance=0.25, abs_tolerance=0.05)
    assert compare({"r": 0.85}, history, policy)[0]["status"] == "ok"
    assert compare({"r": 0.55}, history, policy)[0]["status"] == "drift"
    # only the most recent `baseline_runs` count
    assert compare({"r": 2.0}, [{"r": 2.0}] * 3 + [{"r": 0.1}] * 9, DriftPolicy(baseline_runs=3))[0]["status"] == "ok"
