-- One view per chartsift table. `chartsift query` sets the variable to the output (local folder or
-- s3://bucket/prefix) and runs this file first, reading each Delta table's snapshot (the latest,
-- or the one --as-of names); in a plain DuckDB shell (the delta extension, offline from the
-- duckdb-extension-delta wheel: python -c "import duckdb_extensions as e; e.import_extension('delta')"):
--   LOAD delta;  SET VARIABLE chartsift_output = 'out';  .read sql/views.sql
CREATE OR REPLACE VIEW notes AS
  SELECT * FROM delta_scan(getvariable('chartsift_output') || '/notes');
-- grounded facts only (an output written before facts_ungrounded existed may hold others in facts/)
-- the attributes most queries filter on are columns too (NULL where the fact type has none;
-- `attributes` keeps every attribute as a map)
CREATE OR REPLACE VIEW facts AS
  SELECT *, attributes['dose'] AS dose, attributes['route'] AS route, attributes['frequency'] AS frequency,
         attributes['status'] AS status, attributes['value'] AS value, attributes['unit'] AS unit
  FROM delta_scan(getvariable('chartsift_output') || '/facts')
  WHERE grounding IN ('exact', 'case_insensitive', 'whitespace_normalized', 'token_aligned', 'clause', 'keyword');
-- audit only: facts whose evidence was not found in the note or does not name them (never in
-- `facts`, the other views or a registry extract); same columns as `facts`
CREATE OR REPLACE VIEW facts_ungrounded AS
  SELECT *, attributes['dose'] AS dose, attributes['route'] AS route, attributes['frequency'] AS frequency,
         attributes['status'] AS status, attributes['value'] AS value, attributes['unit'] AS unit
  FROM delta_scan(getvariable('chartsift_output') || '/facts_ungrounded');
-- every input record that did not become a note, with its reason and stage (no text)
CREATE OR REPLACE VIEW quarantine AS
  SELECT * FROM delta_scan(getvariable('chartsift_output') || '/quarantine');
CREATE OR REPLACE VIEW runs AS
  SELECT * FROM delta_scan(getvariable('chartsift_output') || '/runs');
CREATE OR REPLACE VIEW metrics AS
  SELECT * FROM delta_scan(getvariable('chartsift_output') || '/metrics');
-- the audit log: one JSON object per run event (started, finished, failed, refused); never rewritten
CREATE OR REPLACE VIEW audit AS
  SELECT * FROM read_json_auto(getvariable('chartsift_output') || '/audit/*.json', union_by_name = true);
-- OMOP integer ids (note_id, note_nlp_id, person_id), one per chartsift key, assigned once
CREATE OR REPLACE VIEW ids AS
  SELECT * FROM read_parquet(getvariable('chartsift_output') || '/ids/*.parquet', union_by_name = true);
-- a site's OMOP vocabulary for sql/note_nlp.sql's concept ids: empty here (every concept id 0);
-- `chartsift query --vocabulary DIR` reads an Athena export's DIR/CONCEPT.csv instead, and in a
-- DuckDB session with a CDM's vocabulary: CREATE OR REPLACE VIEW chartsift_concept AS SELECT * FROM concept;
CREATE OR REPLACE VIEW chartsift_concept AS
  SELECT NULL::INTEGER AS concept_id, NULL::VARCHAR AS concept_name, NULL::VARCHAR AS domain_id,
         NULL::VARCHAR AS vocabulary_id, NULL::VARCHAR AS concept_class_id, NULL::VARCHAR AS standard_concept,
         NULL::VARCHAR AS concept_code, NULL::VARCHAR AS invalid_reason
  WHERE false;
-- OMOP CDM v5.4 NOTE_NLP over chartsift's grounded facts, one row per fact.
-- chartsift_note_nlp has exactly the v5.4 columns and types, in order: a CDM's table loads with
--   INSERT INTO note_nlp SELECT * FROM chartsift_note_nlp;
-- chartsift_note_nlp_provenance holds the rest (fact type, keys, person_id, grounding, model,
-- adapter, prompt and de-identifier versions, run), by note_nlp_id.
-- Ids: note_nlp_id, note_id (and person_id) come from the `ids` table: one 32-bit integer per
-- chartsift key, assigned once by the run that first wrote it and never reused.
-- Concepts: a fact's name matched (case aside) to a valid standard concept of its domain in
-- chartsift_concept, a site's OMOP vocabulary (empty unless given: 0 = unmapped); medications and
-- allergies in Drug, diagnoses in Condition, procedures in Procedure, labs and vitals in Measurement.
CREATE OR REPLACE VIEW chartsift_note_nlp_base AS
WITH concept_by_name AS (
  SELECT lower(concept_name) AS name_l, domain_id, min(concept_id) AS concept_id
  FROM chartsift_concept
  WHERE standard_concept = 'S' AND invalid_reason IS NULL
  GROUP BY 1, 2
)
SELECT f.*, fi.id AS nlp_id, ni.id AS note_int_id, pi.id AS person_int_id, coalesce(c.concept_id, 0) AS concept_id,
       r.ended_at AS published_at
FROM facts f
JOIN ids fi ON fi.kind = 'fact' AND fi.key = f.fact_id
JOIN ids ni ON ni.kind = 'note' AND ni.key = f.note_key
LEFT JOIN ids pi ON pi.kind = 'person' AND pi.key = f.patient_key
LEFT JOIN runs r ON r.run_id = fi.run_id
LEFT JOIN concept_by_name c ON c.name_l = lower(f.name) AND c.domain_id = CASE f.fact_type
  WHEN 'medication' THEN 'Drug' WHEN 'allergy' THEN 'Drug' WHEN 'diagnosis' THEN 'Condition'
  WHEN 'procedure' THEN 'Procedure' WHEN 'lab' THEN 'Measurement' WHEN 'vital' THEN 'Measurement' END;

CREATE OR REPLACE VIEW chartsift_note_nlp AS
SELECT
  CAST(nlp_id AS INTEGER)                                          AS note_nlp_id,
  CAST(note_int_id AS INTEGER)                                     AS note_id,
  CAST(0 AS INTEGER)                                               AS section_concept_id,
  CAST(left(evidence, 250) AS VARCHAR)                             AS snippet,
  CAST(evidence_start AS VARCHAR)                                  AS "offset",
  CAST(left(name, 250) AS VARCHAR)                                 AS lexical_variant,
  CAST(concept_id AS INTEGER)                                      AS note_nlp_concept_id,
  CAST(0 AS INTEGER)                                               AS note_nlp_source_concept_id,
  CAST(left(model_id || ' ' || model_revision || ' ' || prompt_version, 250) AS VARCHAR) AS nlp_system,
  CAST(published_at AS DATE)                                       AS nlp_date,
  CAST(published_at AS TIMESTAMP)                                  AS nlp_datetime,
  -- v5.4 conventions: the patient does not have it when it is negated or said of someone else
  CAST(CASE WHEN attributes['negated'] = 'true' OR attributes['family_history'] = 'true' THEN 'N' ELSE 'Y' END AS VARCHAR) AS term_exists,
  -- 'present' or 'past' (diagnoses; other facts state no time)
  CAST(CASE WHEN fact_type <> 'diagnosis' THEN NULL
            WHEN attributes['historical'] = 'true' THEN 'past' ELSE 'present' END AS VARCHAR) AS term_temporal,
  -- the modifiers as "name=value" pairs, the subject first ("subject=family;family_history=true;...")
  CAST(left(concat_ws(';', 'subject=' || CASE WHEN attributes['family_history'] = 'true' THEN 'family' ELSE 'patient' END,
            array_to_string(list_transform(list_sort(map_entries(attributes)), e -> e.key || '=' || e.value), ';')), 2000) AS VARCHAR) AS term_modifiers
FROM chartsift_note_nlp_base;

CREATE OR REPLACE VIEW chartsift_note_nlp_provenance AS
SELECT CAST(nlp_id AS INTEGER) AS note_nlp_id, fact_id, fact_type, note_key, patient_key,
       CAST(person_int_id AS INTEGER) AS person_id, grounding, model_id, model_revision, adapter_id, adapter_sha256,
       prompt_version, schema_version, deid_version, run_id
FROM chartsift_note_nlp_base;

-- OMOP CDM v5.4 NOTE over chartsift's notes, keyed like chartsift_note_nlp (ids table): exactly the
-- v5.4 columns and types, so `INSERT INTO note SELECT * FROM chartsift_note` loads a CDM's table.
-- note_text is the de-identified text; note_date the shifted date. NOTE requires a person and a
-- date: a note without a patient key or a date is left out (chartsift_note_unloadable counts them).
-- Concept ids chartsift cannot know (note type and class, encoding, language) are 0, OMOP's
-- "no matching concept"; note_title is the de-identified note type, note_source_value the note key's
-- first 50 characters.
CREATE OR REPLACE VIEW chartsift_note AS
SELECT
  CAST(ni.id AS INTEGER)                  AS note_id,
  CAST(pi.id AS INTEGER)                  AS person_id,
  CAST(n.note_date AS DATE)               AS note_date,
  CAST(NULL AS TIMESTAMP)                 AS note_datetime,
  CAST(0 AS INTEGER)                      AS note_type_concept_id,
  CAST(0 AS INTEGER)                      AS note_class_concept_id,
  CAST(left(n.note_type, 250) AS VARCHAR) AS note_title,
  CAST(n.text AS VARCHAR)                 AS note_text,
  CAST(0 AS INTEGER)                      AS encoding_concept_id,
  CAST(0 AS INTEGER)                      AS language_concept_id,
  CAST(NULL AS INTEGER)                   AS provider_id,
  CAST(NULL AS INTEGER)                   AS visit_occurrence_id,
  CAST(NULL AS INTEGER)                   AS visit_detail_id,
  CAST(left(n.note_key, 50) AS VARCHAR)   AS note_source_value,
  CAST(NULL AS INTEGER)                   AS note_event_id,
  CAST(NULL AS INTEGER)                   AS note_event_field_concept_id
FROM notes n
JOIN ids ni ON ni.kind = 'note' AND ni.key = n.note_key
JOIN ids pi ON pi.kind = 'person' AND pi.key = n.patient_key
WHERE n.note_date IS NOT NULL;

CREATE OR REPLACE VIEW chartsift_note_unloadable AS
SELECT count(*) FILTER (WHERE patient_key IS NULL) AS notes_without_patient,
       count(*) FILTER (WHERE patient_key IS NOT NULL AND note_date IS NULL) AS notes_without_date
FROM notes;

-- chartsift knows a patient only by patient_key, a keyed hash of the source's patient id: it holds
-- no demographics, so it writes no PERSON rows. A CDM's PERSON already exists; this map links
-- chartsift's person_id (in chartsift_note, chartsift_note_nlp_provenance) to the patient_key, which
-- the site, holding the secret and the source ids, can recompute to join its own person table.
CREATE OR REPLACE VIEW chartsift_person_map AS
SELECT CAST(id AS INTEGER) AS person_id, key AS patient_key, run_id AS assigned_by_run
FROM ids WHERE kind = 'person';
