"""transforms/hl7v2.py through the production parse entry point (transforms.parse.parse_stream)."""

from tests.support import ROOT
from transforms.parse import parse_object

HL7 = ROOT / "tests" / "fixtures" / "hl7"


def parse(name: str, data: bytes | None = None):
    return parse_object(f"/src/{name}", name, data if data is not None else (HL7 / name).read_bytes())


def message(sp: str = "", mtype: str = "MDM^T02", obx: str = "Nursing note. Metoprolol 25 mg PO BID.") -> bytes:
    segs = [f"MSH|^~\\&|EHR|HOSP|DW|HOSP|20240301120000||{mtype}|M1|P|2.5", "PID|1||55500011^^^HOSP^MR||Testperson^Cy",
            "TXA|1|PN|TX|20240301120000", f"OBX|1|TX|PN||{obx}{sp}||||||F"]  # fmt: skip
    return ("\r".join(segs) + "\r").encode()


def test_when_mdm_and_oru_messages_are_parsed_then_patient_date_type_and_text_come_from_their_segments():
    (mdm,), _ = parse("mdm_t02.hl7")
    assert (mdm.source_id, mdm.patient_id, mdm.note_date, mdm.note_type) == ("DOC-7781", "00482913", "2024-03-07", "Discharge summary")
    (oru,), _ = parse("oru_r01.hl7")
    assert (oru.source_id, oru.note_date, oru.note_type) == ("MSG00002", "2024-03-14", "CT CHEST WITHOUT CONTRAST")


def test_when_messages_are_mllp_framed_or_batched_then_each_is_a_note_with_its_own_locator():
    for name in ("mllp_framed.hl7", "batch.hl7"):
        notes, bad = parse(name)
        assert [n.locator for n in notes] == ["message 1", "message 2"] and bad == [], name


def test_when_a_message_carries_no_note_or_bad_encoding_characters_then_it_is_quarantined_with_a_reason():
    assert [q.reason for q in parse("adt_not_a_note.hl7")[1]] == ["unsupported_message"]
    assert [q.reason for q in parse("bad_encoding.hl7")[1]] == ["bad_encoding_characters"]
    _, bad = parse("x.hl7", message(mtype="ZZZ^Smith"))
    assert "Smith" not in bad[0].message


def test_when_a_skip_lines_escape_is_huge_or_has_odd_digits_then_the_note_stays_short():
    for sp in ("\\.sp999999999\\", "\\.sp\u0663\u0663\\", "\\.sp-5\\"):
        (note,), bad = parse("sp.hl7", message(sp=sp + "line two"))
        assert bad == [] and len(note.text) < 200 and note.text.endswith("line two"), sp
