-- The OMOP CDM v5.4 NOTE table as a CDM creates it in DuckDB: column names, order, types and
-- nullability per OHDSI's v5.4 specification. The target chartsift_note must load into unchanged.
CREATE TABLE note (
  note_id                     integer       NOT NULL,
  person_id                   integer       NOT NULL,
  note_date                   date          NOT NULL,
  note_datetime               timestamp,
  note_type_concept_id        integer       NOT NULL,
  note_class_concept_id       integer       NOT NULL,
  note_title                  varchar(250),
  note_text                   text          NOT NULL,
  encoding_concept_id         integer       NOT NULL,
  language_concept_id         integer       NOT NULL,
  provider_id                 integer,
  visit_occurrence_id         integer,
  visit_detail_id             integer,
  note_source_value           varchar(50),
  note_event_id               integer,
  note_event_field_concept_id integer
);
