-- Quality drift: the metrics of the five most recent runs against their baseline bands, metrics
-- outside their band ('drift') first. status 'no_baseline' means fewer than min_baseline_runs earlier runs.
SELECT m.ended_at, m.run_id, r.model_id, m.metric, m.status, round(m.value, 3) AS value,
       round(m.lower, 3) AS expected_low, round(m.upper, 3) AS expected_high, m.baseline_runs
FROM metrics m JOIN runs r USING (run_id)
WHERE m.run_id IN (SELECT run_id FROM runs ORDER BY ended_at DESC LIMIT 5)
ORDER BY m.status <> 'drift', m.ended_at DESC, m.metric;
