"""transforms/fhir.py through the production parse entry point (transforms.parse.parse_stream)."""

import base64
import json

from tests.support import ROOT
from transforms.parse import parse_object, records_accounted

FHIR = ROOT / "tests" / "fixtures" / "fhir"


def parse(name: str, data: bytes | None = None):
    return parse_object(f"/src/{name}", name, data if data is not None else (FHIR / name).read_bytes())


def docref(i: str, text: str = "Assessment: gout.", **extra) -> dict:
    return {"resourceType": "DocumentReference", "id": i, "status": "current", **extra,
            "content": [{"attachment": {"contentType": "text/plain", "data": base64.b64encode(text.encode()).decode()}}]}  # fmt: skip


def test_when_a_collection_bundle_is_parsed_then_inline_html_rtf_and_binary_attachments_are_notes():
    notes, bad = parse("collection_bundle.json")
    assert [(n.source_id, n.locator, n.patient_id, n.note_date) for n in notes] == [
        ("doc-1", "file entry 0", "pt-1", "2024-02-02"), ("doc-2", "file entry 1", "pt-2", "2024-02-02"),
        ("doc-3", "file entry 2", "pt-1", "2024-03-03")]  # fmt: skip
    assert {n.note_type for n in notes} == {"Progress note"} and all(n.source_format == "fhir" for n in notes)
    assert [(q.locator, q.reason) for q in bad] == [("file entry 4", "not_a_note")]  # entry 3 is the Binary, used
    text = "\n".join(n.text for n in notes)
    assert "<p>" not in text and "\\par" not in text


def test_when_a_bulk_ndjson_has_bad_resources_then_each_line_gets_its_own_reason():
    notes, bad = parse("mixed_bad.ndjson")
    assert [n.source_id for n in notes] == ["doc-10"]
    assert sorted((q.locator, q.reason) for q in bad) == [
        ("line 2", "invalid_base64"), ("line 3", "missing_attachment"), ("line 4", "unresolved_attachment"),
        ("line 5", "not_a_note"), ("line 6", "invalid_json"), ("line 7", "unsupported_content_type")]  # fmt: skip
    assert records_accounted(7, notes, bad) == 7


def test_when_an_rtf_attachment_has_a_byte_cp1252_leaves_undefined_then_the_note_still_parses():
    rtf = r"{\rtf1\ansi{\fonttbl\f0 Arial;}\f0 Caf\'81 visit.\par Aspirin 81 mg daily.}"
    doc = docref("r1")
    doc["content"][0]["attachment"] = {"contentType": "text/rtf", "data": base64.b64encode(rtf.encode()).decode()}
    notes, bad = parse("r.json", json.dumps(doc).encode())
    assert bad == [] and notes[0].text == "Caf\ufffd visit.\nAspirin 81 mg daily."


def test_when_a_bundle_is_empty_or_holds_only_binaries_then_it_is_quarantined_not_dropped():
    empty = {"resourceType": "Bundle", "type": "collection", "entry": []}
    binary = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": "urn:uuid:b1", "resource": {"resourceType": "Binary", "contentType": "text/plain", "data": "eA=="}}]}  # fmt: skip
    lines = "\n".join(json.dumps(x) for x in (empty, binary, docref("d1")))
    notes, bad = parse("export.ndjson", lines.encode())
    assert [n.source_id for n in notes] == ["d1"]
    assert [(q.locator, q.reason) for q in bad] == [("line 1", "empty_bundle"), ("line 2", "no_note")]
    assert records_accounted(3, notes, bad) == 3


def test_when_a_resource_type_is_unknown_then_the_message_never_echoes_it():
    _, bad = parse("x.ndjson", json.dumps({"resourceType": "Smith_John_12345678", "id": "x"}).encode())
    assert bad[0].reason == "not_a_note" and "Smith" not in bad[0].message
