"""The replacement pass: spans written by their operators, with a map from output to original."""

from presidio_anonymizer import AnonymizerEngine

from transforms.deid.replace import anonymize, mask, operator
from transforms.records import PhiSpan

TEXT = "Harold Beckwith seen 03/14/2024.\nCall 555-201-3344 re: Harold.\n" * 3
SPANS = [PhiSpan(m, m + len(v), e) for line in range(3) for m, v, e in (
    (line * 63 + 0, "Harold Beckwith", "PERSON"), (line * 63 + 21, "03/14/2024", "DATE"),
    (line * 63 + 38, "555-201-3344", "PHONE"), (line * 63 + 55, "Harold", "PERSON"))]  # fmt: skip


def _ops(mode: str) -> dict:
    return {e: operator(mode, b"k" * 32, e, "P1", 30) for e in ("PERSON", "DATE", "PHONE")}


def test_when_spans_are_redacted_then_each_becomes_its_type_and_the_map_points_back():
    assert [TEXT[s.start : s.end] for s in SPANS[:4]] == ["Harold Beckwith", "03/14/2024", "555-201-3344", "Harold"]
    out, replaced = anonymize(TEXT, SPANS, _ops("redact"), AnonymizerEngine(), segment=50_000)
    assert out.startswith("[PERSON] seen [DATE].\nCall [PHONE] re: [PERSON].\n") and "Harold" not in out
    assert len(replaced) == len(SPANS)
    for (o_start, o_end, start, end), span in zip(replaced, SPANS, strict=True):
        assert (start, end) == (span.start, span.end) and out[o_start:o_end] == f"[{span.entity_type}]"


def test_when_the_text_is_cut_into_segments_then_the_output_and_map_are_the_same():
    engine = AnonymizerEngine()
    assert anonymize(TEXT, SPANS, _ops("surrogate"), engine, segment=70) == anonymize(
        TEXT, SPANS, _ops("surrogate"), engine, segment=50_000)


def test_when_surrogates_are_written_then_they_are_the_same_for_the_same_patient_and_dates_move():
    out, _ = anonymize(TEXT, SPANS, _ops("surrogate"), AnonymizerEngine(), segment=50_000)
    first = out.split("\n")[0]
    assert "Beckwith" not in out and "03/14/2024" not in out and "04/13/2024" in first  # moved by 30 days
    assert len({line for line in out.split("\n") if line.startswith("Call")}) == 1  # one patient, one phone surrogate


def test_when_masking_then_letters_and_digits_become_stars():
    assert mask("555-201-3344") == "***-***-****"
