import gzip
import json

from transforms.parse import detect_format, iter_lines, parse_object, record_lines


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
