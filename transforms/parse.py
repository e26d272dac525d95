"""Parse source objects into notes, each format optionally gzipped:

- .txt: one note per file, id from the file name;
- .jsonl / .ndjson: one record per line, either a note ({"id", "text"} plus optional patient_id,
  note_date, note_type) or a FHIR resource (bulk-data export; see transforms.fhir);
- .json: one FHIR resource or Bundle;
- .hl7 / .mllp / .msg: HL7 v2 messages, plain, MLLP-framed or batched (see transforms.hl7v2).

Line formats are parsed from an iterator of lines, so large objects stream.

Bad input never raises: it becomes a Quarantined record with a reason code and a PHI-free message.
"""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import json
import zlib
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from transforms.records import Quarantined, SourceNote

FORMATS = {".txt": "txt", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".hl7": "hl7v2",
           ".mllp": "hl7v2", ".msg": "hl7v2"}  # fmt: skip
LINE_FORMATS = {"jsonl"}


def detect_format(name: str) -> tuple[str | None, bool]:
    """(format, gzipped) from an object name; format None when unsupported."""
    p = PurePosixPath(name.lower())
    gz = p.suffix == ".gz"
    if gz:
        p = p.with_suffix("")
    return FORMATS.get(p.suffix), gz


def note_id_from_name(name: str) -> str:
    p = PurePosixPath(name)
    base = p.name
    for suf in (".gz", *FORMATS):
        base = base.removesuffix(suf)
    return base


class DecodeFailure(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def maybe_gunzip(data: bytes, gz: bool) -> bytes:
    if not gz:
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise DecodeFailure("bad_gzip", f"gzip stream could not be read: {type(exc).__name__}") from None


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16; anything else is refused, not guessed."""
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise DecodeFailure("bad_encoding", "UTF-16 BOM present but content does not decode") from None
    if b"\x00" in data[:4096]:
        raise DecodeFailure("binary_content", "content has NUL bytes: binary, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DecodeFailure("not_utf8", f"not valid UTF-8 (first bad byte at offset {exc.start})") from None


def parse_txt(uri: str, name: str, data: bytes) -> tuple[list[SourceNote], list[Quarantined]]:
    try:
        text = decode_text(data)
    except DecodeFailure as f:
        return [], [Quarantined(uri, "file", "txt", "parse", f.reason, str(f))]
    if not text.strip():
        return [], [Quarantined(uri, "file", "txt", "parse", "empty_note", "note text is empty")]
    return [SourceNote(note_id_from_name(name), text, uri, "file", "txt")], []


def iter_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, raw line) for each non-blank line; numbered as a streamed read numbers them."""
    for i, line in enumerate(data.split(b"\n"), start=1):
        if line.strip():
            yield i, line.rstrip(b"\r")


def parse_jsonl_lines(uri: str, lines: Iterable[tuple[int, bytes]]) -> tuple[list[SourceNote], list[Quarantined]]:
    """Note records, and FHIR resources (lines with "resourceType") handed to the FHIR parser."""
    notes: list[SourceNote] = []
    bad: list[Quarantined] = []
    fhir_lines: list[tuple[str, bytes]] = []
    for lineno, raw in lines:
        if b'"resourceType"' in raw[:4096]:
            fhir_lines.append((f"line {lineno}", raw))
            continue
        loc = f"line {lineno}"

        def q(reason: str, msg: str, loc: str = loc) -> None:
            bad.append(Quarantined(uri, loc, "jsonl", "parse", reason, msg))

        try:
            line = decode_text(raw)
        except DecodeFailure as f:
            q(f.reason, str(f))
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            q("invalid_json", f"JSON does not parse at column {exc.colno}")
            continue
        if not isinstance(rec, dict):
            q("invalid_record", f"expected a JSON object, got {type(rec).__name__}")
            continue
        missing = [k for k in ("id", "text") if k not in rec]
        if missing:
            q("missing_field", f"missing required field(s): {', '.join(missing)}")
            continue
        if not isinstance(rec["text"], str) or not isinstance(rec["id"], str | int):
            q("invalid_field", "'id' must be a string or integer and 'text' a string")
            continue
        if not rec["text"].strip():
            q("empty_note", "note text is empty")
            continue
        note_date = rec.get("note_date")
        if note_date is not None and not _valid_date(note_date):
            q("invalid_field", "'note_date' is not an ISO date (YYYY-MM-DD)")
            continue
        pid = rec.get("patient_id")
        notes.append(SourceNote(
            source_id=str(rec["id"]), text=rec["text"], source_uri=uri, locator=loc, source_format="jsonl",
            patient_id=str(pid) if pid not in (None, "") else None,
            note_date=note_date[:10] if note_date else None,
            note_type=str(rec["note_type"]) if rec.get("note_type") else None,
        ))  # fmt: skip
    if fhir_lines:
        from transforms.fhir import parse_fhir_resources

        n, b = parse_fhir_resources(uri, fhir_lines, "fhir")
        notes += n
        bad += b
    return notes, bad


def _valid_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True


def unsupported(uri: str) -> Quarantined:
    return Quarantined(uri, "file", "unknown", "read", "unsupported_format", "file extension is not a supported note format")


def parse_document(uri: str, name: str, fmt: str, data: bytes) -> tuple[list[SourceNote], list[Quarantined]]:
    """A whole-document format (txt, json, hl7v2), already gunzipped."""
    if fmt == "txt":
        return parse_txt(uri, name, data)
    try:
        text = decode_text(data)
    except DecodeFailure as f:
        return [], [Quarantined(uri, "file", fmt, "parse", f.reason, str(f))]
    if fmt == "hl7v2":
        from transforms.hl7v2 import parse_hl7_text

        return parse_hl7_text(uri, text)
    from transforms.fhir import parse_fhir_resources

    return parse_fhir_resources(uri, [("file", text)], "fhir")


def parse_object(uri: str, name: str, data: bytes, line_range: tuple[int, int] | None = None
                 ) -> tuple[list[SourceNote], list[Quarantined]]:  # fmt: skip
    """All notes in one object held in memory (or the lines [start, stop) of a line format)."""
    fmt, gz = detect_format(name)
    if fmt is None:
        return [], [unsupported(uri)]
    try:
        data = maybe_gunzip(data, gz)
    except DecodeFailure as f:
        return [], [Quarantined(uri, "file", fmt, "read", f.reason, str(f))]
    if fmt not in LINE_FORMATS:
        return parse_document(uri, name, fmt, data)
    return parse_jsonl_lines(uri, select_lines(iter_lines(data), line_range))


def select_lines(lines: Iterable[tuple[int, bytes]], line_range: tuple[int, int] | None) -> Iterator[tuple[int, bytes]]:
    if line_range is None:
        yield from lines
        return
    lo, hi = line_range
    for n, raw in lines:
        if n >= hi:
            return
        if n >= lo:
            yield n, raw


def record_lines(lines: Iterable[tuple[int, bytes]]) -> list[int]:
    """Line numbers of the records in a line-format object (for planning shards)."""
    return [n for n, _ in lines]  # empty: no record (the plan counts the object as empty)
