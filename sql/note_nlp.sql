-- OMOP CDM v5.4 NOTE_NLP, one row per grounded fact (the views are defined in views.sql:
-- chartsift_note_nlp, exactly the v5.4 columns and types; chartsift_note_nlp_provenance, the rest).
-- Load a CDM's table:  INSERT INTO note_nlp SELECT * FROM chartsift_note_nlp;
-- Concept ids come from a site vocabulary: chartsift query --vocabulary ATHENA_DIR sql/note_nlp.sql
SELECT * FROM chartsift_note_nlp ORDER BY note_id, note_nlp_id;
