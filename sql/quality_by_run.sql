-- Quality per run: counts that must add up, extraction errors, grounding rate, facts per note.
SELECT r.run_id, r.model_id, r.notes_input, r.notes_output, r.notes_quarantined,
       r.notes_input = r.notes_output + r.notes_quarantined AS counts_add_up,
       r.notes_extraction_error,
       -- facts holds grounded facts only; the model's others are in facts_ungrounded (audit)
       round(count(f.fact_id) / greatest(count(f.fact_id) + coalesce(r.facts_ungrounded, 0), 1), 3) AS grounded_rate,
       round(count(f.fact_id) / greatest(r.notes_output, 1), 2) AS facts_per_note
FROM runs r LEFT JOIN facts f USING (run_id)
GROUP BY r.run_id, r.model_id, r.notes_input, r.notes_output, r.notes_quarantined, r.notes_extraction_error,
         r.facts_ungrounded
ORDER BY r.run_id;
