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
import io
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from transforms.errors import RecordError
from transforms.fhir import parse_fhir_resources
from transforms.hl7v2 import parse_hl7_text
from transforms.jsonload import load_json
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


MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Resource limits on what one source object may cost (settings: source.max_*). Over a limit,
    the object, record or note is quarantined with a reason; the run goes on."""

    max_object_bytes: int = 256 * MiB  # decompressed: a gzip bomb stops here, not at 2 GiB
    max_record_bytes: int = 16 * MiB  # one JSONL/NDJSON line
    max_note_chars: int = 1_000_000  # one note's text (about 500 pages)


CHUNK = 1 << 16


def read_chunks(stream: BinaryIO, gz: bool, limits: Limits) -> Iterator[bytes]:
    """The object's bytes in chunks (gunzipped when `gz`, as they stream); past
    `limits.max_object_bytes` it raises RecordError("too_large"), so nothing unbounded is held."""
    src = gzip.GzipFile(fileobj=stream) if gz else stream  # GzipFile.read(n) inflates at most n bytes
    total = 0
    while True:
        try:
            chunk = src.read(CHUNK)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise RecordError("bad_gzip", f"gzip stream could not be read: {type(exc).__name__}") from None
        if not chunk:
            return
        total += len(chunk)
        if total > limits.max_object_bytes:
            raise RecordError("too_large", f"object is over the size limit of {limits.max_object_bytes} bytes"
                                f"{' decompressed' if gz else ''} (source.max_object_bytes)")  # fmt: skip
        yield chunk


def maybe_gunzip(data: bytes, gz: bool, limits: Limits | None = None) -> bytes:
    return b"".join(read_chunks(io.BytesIO(data), gz, limits or Limits())) if gz else data


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16; anything else is refused, not guessed."""
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise RecordError("bad_encoding", "UTF-16 BOM present but content does not decode") from None
    if b"\x00" in data[:4096]:
        raise RecordError("binary_content", "content has NUL bytes: binary, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordError("not_utf8", f"not valid UTF-8 (first bad byte at offset {exc.start})") from None


def parse_txt(uri: str, name: str, data: bytes) -> tuple[list[SourceNote], list[Quarantined]]:
    try:
        text = decode_text(data)
    except RecordError as f:
        return [], [Quarantined(uri, "file", "txt", "parse", f.reason, str(f))]
    if not text.strip():
        return [], [Quarantined(uri, "file", "txt", "parse", "empty_note", "note text is empty")]
    return [SourceNote(note_id_from_name(name), text, uri, "file", "txt")], []


def split_lines(chunks: Iterable[bytes], max_record_bytes: int = Limits.max_record_bytes
                ) -> Iterator[tuple[int, bytes | None]]:  # fmt: skip
    """(1-based line number, line) for each non-blank line of a chunked stream, split on b"\\n" only;
    a line over `max_record_bytes` gives None (it is skipped as it streams, never held whole)."""
    lineno, parts, size, over = 1, [], 0, False
    for chunk in chunks:
        pieces = chunk.split(b"\n")
        for k, piece in enumerate(pieces):
            if not over:
                size += len(piece)
                if size > max_record_bytes:
                    over, parts = True, []
                else:
                    parts.append(piece)
            if k == len(pieces) - 1:
                break  # the line goes on in the next chunk
            yield from _line(lineno, parts, over)
            lineno, parts, size, over = lineno + 1, [], 0, False
    yield from _line(lineno, parts, over)


def _line(lineno: int, parts: list[bytes], over: bool) -> Iterator[tuple[int, bytes | None]]:
    if over:
        yield lineno, None
        return
    line = b"".join(parts)
    if line.strip():
        yield lineno, line.rstrip(b"\r")


def iter_lines(data: bytes, max_record_bytes: int = Limits.max_record_bytes) -> Iterator[tuple[int, bytes | None]]:
    """`split_lines` over bytes held in memory."""
    return split_lines((data,), max_record_bytes)


def parse_jsonl_lines(uri: str, lines: Iterable[tuple[int, bytes | None]]) -> tuple[list[SourceNote], list[Quarantined]]:
    """Note records, and FHIR resources (lines with "resourceType") handed to the FHIR parser. Each
    line stands alone: whatever goes wrong with one is quarantined under its line number."""
    notes: list[SourceNote] = []
    bad: list[Quarantined] = []
    fhir_lines: list[tuple[str, bytes]] = []
    for lineno, raw in lines:
        loc = f"line {lineno}"
        if raw is not None and b'"resourceType"' in raw[:4096]:
            fhir_lines.append((loc, raw))
            continue
        try:
            got = _note_line(uri, loc, raw)
        except Exception as exc:  # noqa: BLE001 - one record's failure, whatever it is, is that record's
            got = ("parse_error", f"record could not be parsed ({type(exc).__name__})")
        if isinstance(got, SourceNote):
            notes.append(got)
        else:
            bad.append(Quarantined(uri, loc, "jsonl", "parse", *got))
    if fhir_lines:

        n, b = parse_fhir_resources(uri, fhir_lines, "fhir")
        notes += n
        bad += b
    return notes, bad


def _note_line(uri: str, loc: str, raw: bytes | None) -> SourceNote | tuple[str, str]:
    """One JSONL note record, or (reason, message) for why it is not one."""
    if raw is None:
        return "record_too_large", "record is over the size limit (source.max_record_bytes)"
    try:
        rec = load_json(decode_text(raw))
    except RecordError as f:
        return f.reason, str(f)
    if not isinstance(rec, dict):
        return "invalid_record", f"expected a JSON object, got {type(rec).__name__}"
    missing = [k for k in ("id", "text") if k not in rec]
    if missing:
        return "missing_field", f"missing required field(s): {', '.join(missing)}"
    if not isinstance(rec["text"], str) or not isinstance(rec["id"], str | int):
        return "invalid_field", "'id' must be a string or integer and 'text' a string"
    if not rec["text"].strip():
        return "empty_note", "note text is empty"
    note_date = rec.get("note_date")
    if note_date is not None and not _valid_date(note_date):
        return "invalid_field", "'note_date' is not an ISO date (YYYY-MM-DD)"
    pid = rec.get("patient_id")
    return SourceNote(
        source_id=str(rec["id"]), text=rec["text"], source_uri=uri, locator=loc, source_format="jsonl",
        patient_id=str(pid) if pid not in (None, "") else None,
        note_date=note_date[:10] if note_date else None,
        note_type=str(rec["note_type"]) if rec.get("note_type") else None,
    )  # fmt: skip


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
    except RecordError as f:
        return [], [Quarantined(uri, "file", fmt, "parse", f.reason, str(f))]
    if fmt == "hl7v2":

        return parse_hl7_text(uri, text)

    return parse_fhir_resources(uri, [("file", text)], "fhir")


def parse_stream(uri: str, name: str, stream: BinaryIO, line_range: tuple[int, int] | None = None,
                 limits: Limits | None = None) -> tuple[list[SourceNote], list[Quarantined]]:  # fmt: skip
    """The one parse entry point: all notes in one object read from `stream` (or the lines
    [start, stop) of a line format), within `limits`. Bad content never raises: it is quarantined,
    per record where the format has records. Errors of the stream itself (OSError) do raise."""
    limits = limits or Limits()
    fmt, gz = detect_format(name)
    if fmt is None:
        return [], [unsupported(uri)]
    try:
        chunks = read_chunks(stream, gz, limits)
        if fmt in LINE_FORMATS:
            lines = select_lines(split_lines(chunks, limits.max_record_bytes), line_range)
            notes, bad = parse_jsonl_lines(uri, lines)
        else:
            notes, bad = parse_document(uri, name, fmt, b"".join(chunks))
    except RecordError as f:
        return [], [Quarantined(uri, "file", fmt, "read", f.reason, str(f))]
    big = [n for n in notes if len(n.text) > limits.max_note_chars]
    bad += [Quarantined(uri, n.locator, n.source_format, "parse", "note_too_large",
                        f"note has {len(n.text)} characters, over the limit of {limits.max_note_chars} "
                        "(source.max_note_chars)") for n in big]  # fmt: skip
    return [n for n in notes if len(n.text) <= limits.max_note_chars], bad


def parse_object(uri: str, name: str, data: bytes, line_range: tuple[int, int] | None = None,
                 limits: Limits | None = None) -> tuple[list[SourceNote], list[Quarantined]]:  # fmt: skip
    """`parse_stream` over an object held in memory."""
    return parse_stream(uri, name, io.BytesIO(data), line_range, limits)


def select_lines(lines: Iterable[tuple[int, bytes | None]], line_range: tuple[int, int] | None
                 ) -> Iterator[tuple[int, bytes | None]]:  # fmt: skip
    if line_range is None:
        yield from lines
        return
    lo, hi = line_range
    for n, raw in lines:
        if n >= hi:
            return
        if n >= lo:
            yield n, raw


def record_lines(lines: Iterable[tuple[int, bytes | None]]) -> list[int]:
    """Line numbers of the records in a line-format object (for planning shards)."""
    return [n for n, _ in lines]  # empty: no record (the plan counts the object as empty)


def records_accounted(n_records: int, notes: list[SourceNote], bad: list[Quarantined]) -> int:
    """How many of an item's `n_records` planned records came back as a note or a quarantine
    record: all, when the object as a whole was quarantined (locator "file"); else the distinct
    records named by the locators ("line 12", "line 12 entry 3" and "message 2" are records)."""
    locs = [x.locator for x in (*notes, *bad)]
    if "file" in locs:
        return n_records
    if n_records == 1:  # a document: one record, whatever it held
        return int(bool(locs))
    return len({loc.split(" entry ", 1)[0] for loc in locs if loc.startswith("line ")})
