-- OMOP CDM v5.4 NOTE_NLP, as OHDSI's CommonDataModel declares it for DuckDB
-- (inst/ddl/5.4/duckdb/OMOPCDM_duckdb_5.4_ddl.sql, schema placeholder removed): the target a
-- CDM's note_nlp table has, which chartsift_note_nlp must load into unchanged.
CREATE TABLE note_nlp (
			note_nlp_id integer NOT NULL,
			note_id integer NOT NULL,
			section_concept_id integer NULL,
			snippet varchar(250) NULL,
			"offset" varchar(50) NULL,
			lexical_variant varchar(250) NOT NULL,
			note_nlp_concept_id integer NULL,
			note_nlp_source_concept_id integer NULL,
			nlp_system varchar(250) NULL,
			nlp_date date NOT NULL,
			nlp_datetime TIMESTAMP NULL,
			term_exists varchar(1) NULL,
			term_temporal varchar(50) NULL,
			term_modifiers varchar(2000) NULL );
