-- OMOP CDM v5.4 NOTE_NLP-shaped view over facts: one row per fact, OMOP column names, plus
-- chartsift's provenance columns. note_id / note_nlp_id are 63-bit hashes of chartsift's keys
-- (OMOP wants integers); concept ids are 0 until a vocabulary mapping step exists.
CREATE OR REPLACE VIEW note_nlp AS
SELECT
  CAST(hash(f.fact_id) >> 1 AS BIGINT)           AS note_nlp_id,
  CAST(hash(f.note_key) >> 1 AS BIGINT)          AS note_id,
  0                                              AS section_concept_id,
  f.evidence                                     AS snippet,
  CAST(f.evidence_start AS VARCHAR)              AS "offset",
  f.name                                         AS lexical_variant,
  0                                              AS note_nlp_concept_id,
  0                                              AS note_nlp_source_concept_id,
  f.model_id || ' ' || f.model_revision || ' ' || f.prompt_version AS nlp_system,
  CAST(r.ended_at AS DATE)                       AS nlp_date,
  r.ended_at                                     AS nlp_datetime,
  -- v5.4 conventions: the patient does not have it when it is negated or said of someone else
  CASE WHEN f.attributes['negated'] = 'true' OR f.attributes['family_history'] = 'true' THEN 'N' ELSE 'Y' END AS term_exists,
  -- 'present' or 'past' (diagnoses; other facts state no time)
  CASE WHEN f.fact_type <> 'diagnosis' THEN NULL
       WHEN f.attributes['historical'] = 'true' THEN 'past' ELSE 'present' END AS term_temporal,
  -- the modifiers as "name=value" pairs, the subject first ("subject=family;negated=false;...")
  concat_ws(';', 'subject=' || CASE WHEN f.attributes['family_history'] = 'true' THEN 'family' ELSE 'patient' END,
            array_to_string(list_transform(list_sort(map_entries(f.attributes)), e -> e.key || '=' || e.value), ';')) AS term_modifiers,
  f.fact_type, f.note_key, f.patient_key, f.grounding,
  f.model_id, f.model_revision, f.prompt_version, f.schema_version, f.deid_version, f.run_id
FROM facts f LEFT JOIN runs r USING (run_id);
SELECT * FROM note_nlp ORDER BY note_id, note_nlp_id;
