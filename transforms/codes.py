"""The codes that pass between stages and land in the tables: where a record stopped (Stage), why it
was quarantined (Reason), how a note's extraction ended (ExtractionStatus), how a fact was located
in the text (Grounding). StrEnums: they compare equal to, and are written to Parquet as, their
string values, so the tables and queries keep the plain codes."""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """A code that reads as its plain string everywhere, repr (log lines, printed dicts) included."""

    def __repr__(self) -> str:
        return repr(self.value)


class Stage(Code):
    READ = "read"
    PARSE = "parse"
    DEID = "deid"
    EXTRACT = "extract"


class Reason(Code):
    """Quarantine reason codes (the README's list). A record with any of these is in `quarantine`
    and nowhere else."""

    # reading an object
    UNREADABLE = "unreadable"  # I/O error, vanished object, access denied
    TOO_LARGE = "too_large"  # over source.max_object_bytes, decompressed
    BAD_GZIP = "bad_gzip"
    UNSUPPORTED_FORMAT = "unsupported_format"  # a file extension chartsift does not read
    # decoding text
    NOT_UTF8 = "not_utf8"
    BINARY_CONTENT = "binary_content"
    BAD_ENCODING = "bad_encoding"
    # JSON and JSONL records
    INVALID_JSON = "invalid_json"
    JSON_TOO_DEEP = "json_too_deep"
    JSON_NUMBER_TOO_LONG = "json_number_too_long"
    RECORD_TOO_LARGE = "record_too_large"  # one line over source.max_record_bytes
    INVALID_RECORD = "invalid_record"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    EMPTY_NOTE = "empty_note"
    NOTE_TOO_LARGE = "note_too_large"  # over source.max_note_chars
    # FHIR
    INVALID_FHIR = "invalid_fhir"
    NOT_A_NOTE = "not_a_note"  # a resource other than DocumentReference
    EMPTY_BUNDLE = "empty_bundle"
    NO_NOTE = "no_note"  # a Bundle or object with resources but no note (Binary only)
    MISSING_ATTACHMENT = "missing_attachment"
    UNRESOLVED_ATTACHMENT = "unresolved_attachment"
    UNSUPPORTED_CONTENT_TYPE = "unsupported_content_type"
    INVALID_BASE64 = "invalid_base64"
    # HL7 v2
    INVALID_HL7 = "invalid_hl7"
    BAD_ENCODING_CHARACTERS = "bad_encoding_characters"
    UNSUPPORTED_MESSAGE = "unsupported_message"
    # any parser
    PARSE_ERROR = "parse_error"  # a parser failed on this object (a bug): the object, not the run
    # de-identification and extraction
    DEID_ERROR = "deid_error"
    TIME_BUDGET = "time_budget"  # the shard's de-identification time budget ran out first
    PHI_LEAK = "phi_leak"  # the leak guard found a PHI value in the output text or a fact


class ExtractionStatus(Code):
    OK = "ok"
    ERROR = "error"


class ExtractionError(Code):
    """Why a note's answer was rejected (notes.extraction_error); the note stays, with no facts."""

    TRUNCATED = "truncated"
    RUNAWAY_OUTPUT = "runaway_output"
    EMPTY_OUTPUT = "empty_output"
    INVALID_JSON = "invalid_json"
    SCHEMA_VIOLATION = "schema_violation"
    ENGINE_ERROR = "engine_error"


class Grounding(Code):
    """How a fact's evidence was found in the de-identified text (facts.grounding)."""

    EXACT = "exact"
    CASE_INSENSITIVE = "case_insensitive"
    WHITESPACE_NORMALIZED = "whitespace_normalized"
    TOKEN_ALIGNED = "token_aligned"  # the evidence's words in order, other punctuation between them
    CLAUSE = "clause"  # the clause of the note naming the fact that holds most of the evidence's words
    KEYWORD = "keyword"  # found by its words: smoking status (tobacco), a vital (its name's words and value)
    # not grounded: such facts go to `facts_ungrounded` (audit), never to `facts`
    EVIDENCE_MISMATCH = "evidence_mismatch"  # the evidence is in the note but does not name the fact
    NAME_ONLY = "name_only"  # the evidence was not found, the fact's name was
    SURROGATE = "surrogate"  # the fact's name is a surrogate the de-identifier wrote (a person, a place)
    UNGROUNDED = "ungrounded"


GROUNDED = frozenset({Grounding.EXACT, Grounding.CASE_INSENSITIVE, Grounding.WHITESPACE_NORMALIZED,
                      Grounding.TOKEN_ALIGNED, Grounding.CLAUSE, Grounding.KEYWORD})  # fmt: skip
