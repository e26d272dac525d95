-- Example cohort: patients with a diabetes diagnosis in any note and metformin in any note.
SELECT d.patient_key,
       min(n.note_date) AS first_note_date,
       count(DISTINCT d.note_key) AS notes_with_diabetes
FROM facts d
JOIN notes n USING (note_key)
WHERE d.fact_type = 'diagnosis' AND lower(d.name) LIKE '%diabet%'
  AND d.patient_key IN (SELECT patient_key FROM facts WHERE fact_type = 'medication' AND lower(name) LIKE '%metformin%')
GROUP BY d.patient_key
ORDER BY d.patient_key;
