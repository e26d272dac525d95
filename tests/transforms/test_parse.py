import gzip
import json
import zlib

import pytest

from transforms.parse import (
    Limits,
    detect_format,
    iter_lines,
    parse_object,
    record_lines,
    records_accounted,
    split_lines,
)
from transforms.records import Quarantined


def test_when_txt_then_one_note_with_id_from_file_name():
    notes, bad = parse_object("/x/discharge-1.txt", "discharge-1.txt", b"Patient seen today.")
    assert [n.source_id for n in notes] == ["discharge-1"] and bad == []


def test_when_jsonl_then_optional_fields_are_read():
    line = json.dumps({"id": 7, "text": "t", "patient_id": "P1", "note_date": "2024-01-02", "note_type": "ed"})
    notes, bad = parse_object("u", "a.jsonl", line.encode())
    n = notes[0]
    assert (n.source_id, n.patient_id, n.note_date, n.note_type, n.locator) == ("7", "P1", "2024-01-02", "ed", "line 1")


def test_when_records_are_bad_then_each_is_quarantined_with_a_specific_reason():
    lines = [
        b'{"id": "a", "text": "ok"}',
        b'{"id": "b", "text": ',
        b'["not", "an", "object"]',
        b'{"id": "c"}',
        b'{"id": "d", "text": "   "}',
        b'{"id": "e", "text": 5}',
        b'{"id": "f", "text": "x", "note_date": "yesterday"}',
        '{"id": "g", "text": "caf\xe9"}'.encode("latin-1"),
    ]
    notes, bad = parse_object("u", "a.jsonl", b"\n".join(lines))
    assert [n.source_id for n in notes] == ["a"]
    assert [q.reason for q in bad] == ["invalid_json", "invalid_record", "missing_field", "empty_note",
                                       "invalid_field", "invalid_field", "not_utf8"]
    assert [q.locator for q in bad] == [f"line {i}" for i in range(2, 9)]


def test_when_message_is_written_then_it_holds_no_note_text():
    notes, bad = parse_object("u", "a.jsonl", b'{"id": "a", "text": "SECRETNAME is here", "note_date": "bad"}')
    assert "SECRETNAME" not in bad[0].message


def test_when_gzipped_then_it_is_read_and_broken_gzip_is_quarantined():
    data = gzip.compress(b'{"id": "a", "text": "x"}\n{"id": "b", "text": "y"}\n')
    assert len(parse_object("u", "a.jsonl.gz", data)[0]) == 2
    assert parse_object("u", "a.txt.gz", b"not gzip")[1][0].reason == "bad_gzip"


def test_when_encoding_is_utf16_with_bom_then_it_decodes_and_binary_is_refused():
    assert parse_object("u", "a.txt", "note text".encode("utf-16"))[0][0].text == "note text"
    assert parse_object("u", "a.txt", b"\x00\x01\x02binary")[1][0].reason == "binary_content"


def test_when_extension_is_unknown_then_object_is_quarantined():
    assert parse_object("u", "a.pdf", b"%PDF")[1][0].reason == "unsupported_format"
    assert detect_format("x/y.JSONL.GZ") == ("jsonl", True)


def test_when_a_line_range_is_given_then_only_those_records_are_parsed():
    data = b"\n".join(json.dumps({"id": i, "text": "t"}).encode() for i in range(5))
    assert record_lines(iter_lines(data)) == [1, 2, 3, 4, 5]
    notes, _ = parse_object("u", "a.jsonl", data, (2, 4))
    assert [n.source_id for n in notes] == ["1", "2"]


def test_when_an_hl7_skip_escape_is_huge_or_odd_then_the_note_stays_small():
    from transforms.hl7v2 import MAX_SP_LINES, unescape

    seps = {"field": "|", "component": "^", "repetition": "~", "escape": "\\", "subcomponent": "&"}
    assert unescape("a\\.sp999999999\\b", seps) == "a\nb"
    assert unescape("a\\.sp\u00b2\\b", seps) == "a\nb"  # a superscript digit is a digit to str.isdigit
    assert unescape("a\\.sp9999\\b", seps) == "a" + "\n" * MAX_SP_LINES + "b"


def test_when_a_body_arrives_in_odd_chunks_then_lines_are_whole_and_numbered_like_a_file():
    data = b'{"a": 1}\n\n{"b": 2}\r\n{"c": 3}'
    chunks = [data[i : i + 3] for i in range(0, len(data), 3)]
    assert list(split_lines(iter(chunks))) == [(1, b'{"a": 1}'), (3, b'{"b": 2}'), (4, b'{"c": 3}')]


def test_when_a_line_is_over_the_record_limit_then_it_is_none_and_its_neighbours_survive():
    data = b"short\n" + b"x" * 100 + b"\nafter"
    chunks = [data[i : i + 7] for i in range(0, len(data), 7)]
    assert list(split_lines(iter(chunks), max_record_bytes=50)) == [(1, b"short"), (2, None), (3, b"after")]


def _zeros_gz(n: int, prefix: bytes = b"") -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    return comp.compress(prefix + b"0" * n) + comp.flush()


SMALL = Limits(max_object_bytes=1 << 20, max_record_bytes=64 << 10, max_note_chars=50_000)


def test_when_a_jsonl_line_nests_deeply_or_holds_a_huge_number_then_only_that_line_is_quarantined():
    good = [json.dumps({"id": f"g{i}", "text": f"Assessment: stable {i}."}) for i in range(3)]
    deep = '{"id": "d", "text": ' + "[" * 100_000 + "]" * 100_000 + "}"
    big = '{"id": "n", "text": "x", "dose": ' + "9" * 5000 + "}"
    notes, bad = parse_object("u", "a.jsonl", "\n".join([good[0], deep, good[1], big, good[2]]).encode())
    assert [n.source_id for n in notes] == ["g0", "g1", "g2"]
    assert [(q.locator, q.reason) for q in bad] == [("line 2", "json_too_deep"), ("line 4", "json_number_too_long")]
    assert all("9999" not in q.message for q in bad)


def test_when_a_fhir_line_nests_deeply_or_holds_a_huge_number_then_it_is_quarantined_too():
    deep = '{"resourceType": "DocumentReference", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    big = '{"resourceType": "DocumentReference", "n": ' + "9" * 5000 + "}"
    _, bad = parse_object("u", "a.ndjson", f"{deep}\n{big}".encode())
    assert [q.reason for q in bad] == ["json_too_deep", "json_number_too_long"]


def test_when_gzip_bombs_expand_past_the_object_limit_then_they_are_quarantined_as_too_large():
    for name, prefix in (("bomb.txt.gz", b""), ("bomb.jsonl.gz", b'{"id": "b", "text": "')):
        notes, bad = parse_object("u", name, _zeros_gz(8 << 20, prefix), limits=SMALL)
        assert notes == [] and [(q.locator, q.reason) for q in bad] == [("file", "too_large")], name


def test_when_a_line_or_a_note_is_over_its_limit_then_it_alone_is_quarantined():
    lines = [json.dumps({"id": "a", "text": "ok"}), json.dumps({"id": "b", "text": "y" * 100_000}),
             json.dumps({"id": "c", "text": "z" * 60_000})]  # fmt: skip
    notes, bad = parse_object("u", "a.jsonl", "\n".join(lines).encode(), limits=SMALL)
    assert [n.source_id for n in notes] == ["a"]
    assert [(q.locator, q.reason) for q in bad] == [("line 2", "record_too_large"), ("line 3", "note_too_large")]
    assert parse_object("u", "big.txt", b"w" * 60_000, limits=SMALL)[1][0].reason == "note_too_large"


def test_when_every_record_comes_back_then_all_are_accounted_and_a_dropped_one_is_not():
    lines = [json.dumps({"id": str(i), "text": "ok"}) for i in range(3)] + ["not json"]
    notes, bad = parse_object("u", "a.jsonl", "\n".join(lines).encode())
    assert records_accounted(4, notes, bad) == 4
    assert records_accounted(4, notes[1:], bad) == 3  # a parser that loses a record is caught
    assert records_accounted(4, [], [Quarantined("u", "file", "jsonl", "read", "too_large", "")]) == 4
    assert records_accounted(1, [], []) == 0


def test_when_json_bytes_do_not_decode_then_the_reason_is_bad_encoding_not_a_long_number():
    from transforms.jsonload import JsonFailure, load_json

    with pytest.raises(JsonFailure) as exc:
        load_json(b'{"resourceType": "DocumentReference", "id": "\xc3\x28"}')
    assert exc.value.reason == "bad_encoding"
