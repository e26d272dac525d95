-- The OMOP CDM v5.4 NOTE_NLP table as a CDM creates it in DuckDB: column names, order, types and
-- nullability per OHDSI's v5.4 specification (its DDL declares the ids as 32-bit integers). The
-- target chartsift_note_nlp must load into unchanged.
CREATE TABLE note_nlp (
  note_nlp_id                integer       NOT NULL,
  note_id                    integer       NOT NULL,
  section_concept_id         integer,
  snippet                    varchar(250),
  "offset"                   varchar(50),
  lexical_variant            varchar(250)  NOT NULL,
  note_nlp_concept_id        integer,
  note_nlp_source_concept_id integer,
  nlp_system                 varchar(250),
  nlp_date                   date          NOT NULL,
  nlp_datetime               timestamp,
  term_exists                varchar(1),
  term_temporal              varchar(50),
  term_modifiers             varchar(2000)
);
