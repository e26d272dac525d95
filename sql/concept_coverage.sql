-- How many NOTE_NLP rows carry a concept id, by fact type: the share a site's vocabulary maps
-- (`chartsift query sql/concept_coverage.sql --vocabulary ATHENA_DIR`); 0 stays 0 = unmapped.
SELECT p.fact_type,
       count(*)                                             AS facts,
       count(*) FILTER (WHERE n.note_nlp_concept_id <> 0)   AS mapped,
       count(*) FILTER (WHERE n.note_nlp_concept_id = 0)    AS unmapped,
       round(avg((n.note_nlp_concept_id <> 0)::INTEGER), 3) AS mapped_share
FROM chartsift_note_nlp n
JOIN chartsift_note_nlp_provenance p USING (note_nlp_id)
GROUP BY p.fact_type
ORDER BY p.fact_type;
