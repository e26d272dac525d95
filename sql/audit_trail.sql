-- Who ran what, when, and how it ended: one row per run from the append-only audit log.
SELECT s.run_id, s.recorded_at AS started_at, e.recorded_at AS ended_at, s.os_user, s.host,
       s.prefect_deployment_name, s.prefect_flow_run_id, s.source_uri, s.settings_fingerprint,
       coalesce(e.event, 'no end recorded (killed?)') AS ended_as, e.outcome, e.error_type,
       e.notes_input, e.notes_output, e.notes_quarantined, e.facts_output, e.model_id, e.model_revision
FROM (SELECT * FROM audit WHERE event = 'started') s
LEFT JOIN (SELECT * FROM audit WHERE event IN ('finished', 'failed')) e USING (run_id)
ORDER BY s.recorded_at DESC;
