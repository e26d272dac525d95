-- Views over a chartsift output folder, for DuckDB. Run from the output's parent folder, or
-- replace 'out' with your output path (local or s3://bucket/prefix).
CREATE OR REPLACE VIEW notes AS SELECT * FROM read_parquet('out/notes/*.parquet');
CREATE OR REPLACE VIEW facts AS SELECT * FROM read_parquet('out/facts/*.parquet');
CREATE OR REPLACE VIEW runs AS SELECT * FROM read_parquet('out/runs/*.parquet');
