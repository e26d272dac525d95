-- One view per chartsift table. `chartsift query` sets the variable to the output (local folder or
-- s3://bucket/prefix) and runs this file first; in a plain DuckDB shell:
--   SET VARIABLE chartsift_output = 'out';  .read sql/views.sql
CREATE OR REPLACE VIEW notes AS
  SELECT * FROM read_parquet(getvariable('chartsift_output') || '/notes/*.parquet', union_by_name = true);
-- grounded facts only (an output written before facts_ungrounded existed may hold others in facts/)
-- the attributes most queries filter on are columns too (NULL where the fact type has none;
-- `attributes` keeps every attribute as a map)
CREATE OR REPLACE VIEW facts AS
  SELECT *, attributes['dose'] AS dose, attributes['route'] AS route, attributes['frequency'] AS frequency,
         attributes['status'] AS status, attributes['value'] AS value, attributes['unit'] AS unit
  FROM read_parquet(getvariable('chartsift_output') || '/facts/*.parquet', union_by_name = true)
  WHERE grounding IN ('exact', 'case_insensitive', 'whitespace_normalized', 'token_aligned', 'clause', 'keyword');
-- audit only: facts whose evidence was not found in the note or does not name them (never in
-- `facts`, the other views or a registry extract); same columns as `facts`
CREATE OR REPLACE VIEW facts_ungrounded AS
  SELECT *, attributes['dose'] AS dose, attributes['route'] AS route, attributes['frequency'] AS frequency,
         attributes['status'] AS status, attributes['value'] AS value, attributes['unit'] AS unit
  FROM read_parquet(getvariable('chartsift_output') || '/facts_ungrounded/*.parquet', union_by_name = true);
-- every input record that did not become a note, with its reason and stage (no text)
CREATE OR REPLACE VIEW quarantine AS
  SELECT * FROM read_parquet(getvariable('chartsift_output') || '/quarantine/*.parquet', union_by_name = true);
CREATE OR REPLACE VIEW runs AS
  SELECT * FROM read_parquet(getvariable('chartsift_output') || '/runs/*.parquet', union_by_name = true);
CREATE OR REPLACE VIEW metrics AS
  SELECT * FROM read_parquet(getvariable('chartsift_output') || '/metrics/*.parquet', union_by_name = true);
-- the audit log: one JSON object per run event (started, finished, failed, refused); never rewritten
CREATE OR REPLACE VIEW audit AS
  SELECT * FROM read_json_auto(getvariable('chartsift_output') || '/audit/*.json', union_by_name = true);
