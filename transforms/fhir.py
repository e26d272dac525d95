"""FHIR R4 notes via fhir.resources (R4B models, which cover R4's DocumentReference, Bundle and
Binary): DocumentReference with inline base64 attachments (text/plain, text/html, text/rtf) or
`url` attachments pointing at a Binary in the same Bundle or the same NDJSON object; Bundles of
any type (collection, searchset, transaction, document); bulk-data NDJSON.

Patient: `subject` (Patient/<id> -> <id>, so keys match the FHIR Patient ids); date: `date`,
else `context.period.start`; note type: `type.coding[0].display`, else `type.text`.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Callable, Iterable
from html.parser import HTMLParser

from pydantic import ValidationError

from transforms.codes import Reason, Stage
from transforms.errors import RecordError
from transforms.jsonload import load_json
from transforms.records import Quarantined, SourceNote

_KNOWN_TYPES = frozenset("""Patient Encounter Observation Condition Procedure MedicationRequest MedicationStatement
Immunization AllergyIntolerance DiagnosticReport Practitioner Organization Location Claim
ExplanationOfBenefit CarePlan CareTeam Device ImagingStudy Provenance Composition Binary""".split())
_TEXT_TYPES = ("text/plain", "text/html", "application/xhtml+xml", "text/rtf", "application/rtf")


def _models():
    from fhir.resources.R4B.binary import Binary
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.documentreference import DocumentReference

    return DocumentReference, Bundle, Binary


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4"):
            self.parts.append("\n")

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):  # noqa: ANN001
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    p = _HTMLText()
    p.feed(markup)
    text = html.unescape("".join(p.parts))
    return re.sub(r"\n{3,}", "\n\n", re.sub(r"[ \t]+", " ", text)).strip()


def rtf_to_text(rtf: str) -> str:
    """Plain text from simple RTF: groups like {\\fonttbl ...} dropped, \\par -> newline, \\'hh -> char."""
    text = re.sub(r"\{\\(?:fonttbl|colortbl|stylesheet|info|\*)[^{}]*(?:\{[^{}]*\}[^{}]*)*\}", "", rtf)
    text = re.sub(r"\\par[d]?\b ?|\\line\b ?", "\n", text)
    # cp1252 leaves 5 bytes undefined (\\'81, \\'8d, ...): a replacement character, not a failure
    text = re.sub(r"\\'([0-9a-fA-F]{2})", lambda m: bytes.fromhex(m.group(1)).decode("cp1252", errors="replace"), text)
    text = re.sub(r"\\[a-zA-Z]+-?\d* ?", "", text)
    text = text.replace("\\{", "{").replace("\\}", "}").replace("\\\\", "\\")
    return re.sub(r"[{}]", "", text).strip()


def _b64(data: str | bytes) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise RecordError("invalid_base64", "attachment data is not valid base64") from None


def _decode(raw: bytes, content_type: str) -> str:
    """Text of an attachment's bytes (fhir.resources has already decoded the base64)."""
    charset = re.search(r"charset=([\w-]+)", content_type or "")
    try:
        text = raw.decode(charset.group(1) if charset else "utf-8-sig")
    except (UnicodeDecodeError, LookupError):
        raise RecordError("bad_encoding", "attachment text does not decode with its charset") from None
    kind = (content_type or "text/plain").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return html_to_text(text)
    if kind in ("text/rtf", "application/rtf"):
        return rtf_to_text(text)
    return text


def _note_text(doc, binaries: dict[str, tuple[str, bytes | str]]) -> str:  # noqa: ANN001
    attachments = [c.attachment for c in (doc.content or []) if c.attachment is not None]
    if not attachments:
        raise RecordError("missing_attachment", "DocumentReference has no attachment")
    ranked = sorted(attachments, key=lambda a: _rank((a.contentType or "text/plain").split(";")[0].lower()))
    for a in ranked:
        ctype = (a.contentType or "text/plain").lower()
        if not ctype.startswith(_TEXT_TYPES):
            continue
        if a.data is not None:
            return _decode(a.data, ctype)
        if a.url:
            ref = a.url.removeprefix("urn:uuid:")
            ref = ref.split("/_history", 1)[0].rsplit("Binary/", 1)[-1]
            if ref in binaries:
                btype, bdata = binaries[ref]
                return _decode(_b64(bdata or ""), btype or ctype)
            raise RecordError("unresolved_attachment", "attachment url points at a Binary not in this object")
    raise RecordError("unsupported_content_type", "no text/plain, text/html or text/rtf attachment")


def _rank(kind: str) -> int:
    return {"text/plain": 0, "text/html": 1, "application/xhtml+xml": 1, "text/rtf": 2}.get(kind, 9)


def _iso_date(value) -> str | None:  # noqa: ANN001
    if value is None:
        return None
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)[:10]


def _note(doc, binaries, uri: str, locator: str, fmt: str) -> SourceNote:  # noqa: ANN001
    text = _note_text(doc, binaries)
    patient = None
    if doc.subject is not None and doc.subject.reference:
        patient = doc.subject.reference.rsplit("/", 1)[-1]
    date = _iso_date(doc.date)
    if date is None and doc.context is not None and doc.context.period is not None:
        date = _iso_date(doc.context.period.start)
    ntype = None
    if doc.type is not None:
        coding = [c for c in (doc.type.coding or []) if c.display]
        ntype = coding[0].display if coding else doc.type.text
    source_id = doc.id or (doc.identifier[0].value if doc.identifier else None)
    if not source_id:
        raise RecordError("missing_field", "DocumentReference has no id or identifier")
    return SourceNote(source_id, text, uri, locator, fmt, patient, date, ntype)


def _bundle_entries(Bundle, obj: dict, loc: str, binaries: dict) -> list[tuple[str, dict]]:  # noqa: ANN001, N803
    """(locator, resource dict) of each entry of a Bundle; its Binaries are noted in `binaries`."""
    out = []
    for i, entry in enumerate(Bundle.model_validate(obj).entry or []):
        res = entry.resource
        if res is None:
            continue
        d = res.model_dump(mode="json", by_alias=True)
        d["resourceType"] = res.get_resource_type()
        if d["resourceType"] == "Binary" and entry.fullUrl:
            binaries[entry.fullUrl.removeprefix("urn:uuid:").rsplit("Binary/", 1)[-1]] = (d.get("contentType"), d.get("data"))
        out.append((f"{loc} entry {i}", d))
    return out


def parse_fhir_resources(uri: str, items: Iterable[tuple[str, bytes | str]], fmt: str = "fhir"
                         ) -> tuple[list[SourceNote], list[Quarantined]]:  # fmt: skip
    """Notes from (locator, raw JSON) items: each a DocumentReference, Binary, Bundle or other resource."""
    bad: list[Quarantined] = []

    def q(loc: str, reason: str, msg: str) -> None:
        bad.append(Quarantined(uri, loc, fmt, Stage.PARSE, reason, msg))

    binaries: dict[str, tuple[str, bytes | str]] = {}
    parsed = _load_resources(items, binaries, q)
    for _loc, obj in parsed:
        if obj["resourceType"] == "Binary" and obj.get("id"):
            binaries[obj["id"]] = (obj.get("contentType"), obj.get("data"))
    notes = [n for loc, obj in parsed if (n := _resource_note(obj, binaries, uri, loc, fmt, q)) is not None]
    for n in notes:
        if not n.text.strip():
            q(n.locator, Reason.EMPTY_NOTE, "note text is empty")
    # every record ends somewhere: one that gave neither a note nor a quarantine record held only Binaries
    done = {x.locator.split(" entry ", 1)[0] for x in (*notes, *bad)}
    for loc in dict.fromkeys(loc for loc, _ in parsed):
        top = loc.split(" entry ", 1)[0]
        if top not in done:
            q(top, Reason.NO_NOTE, "the record holds only attachments (Binary), no DocumentReference")
            done.add(top)
    return [n for n in notes if n.text.strip()], bad


def _load_resources(items: Iterable[tuple[str, bytes | str]], binaries: dict, q: Callable) -> list[tuple[str, dict]]:
    """(locator, resource) for every resource of the items, Bundles opened (their Binaries go to
    `binaries`); a record that is not one is quarantined through `q`."""
    _, Bundle, _ = _models()
    parsed: list[tuple[str, dict]] = []
    for loc, raw in items:
        try:
            obj = load_json(raw)
        except RecordError as f:
            q(loc, f.reason, str(f))
            continue
        if not isinstance(obj, dict) or "resourceType" not in obj:
            q(loc, Reason.INVALID_RECORD, "not a FHIR resource (no resourceType)")
            continue
        if obj["resourceType"] != "Bundle":
            parsed.append((loc, obj))
            continue
        try:
            entries = _bundle_entries(Bundle, obj, loc, binaries)
        except ValidationError as exc:
            q(loc, Reason.INVALID_FHIR, f"Bundle fails FHIR validation ({exc.error_count()} errors)")
            continue
        except Exception as exc:  # noqa: BLE001 - one record's failure is that record's
            q(loc, Reason.INVALID_FHIR, f"Bundle could not be read ({type(exc).__name__})")
            continue
        if not entries:
            q(loc, Reason.EMPTY_BUNDLE, "Bundle has no entry with a resource")
        parsed += entries
    return parsed


def _resource_note(obj: dict, binaries: dict, uri: str, loc: str, fmt: str, q: Callable) -> SourceNote | None:
    """The note of one resource, or None (a Binary, used as an attachment; anything else is
    quarantined through `q`)."""
    rtype = obj["resourceType"]
    if rtype == "Binary":
        return None
    if rtype != "DocumentReference":
        # the raw value is never echoed (it may be anything a source wrote); known types are named
        shown = rtype if isinstance(rtype, str) and rtype in _KNOWN_TYPES else "other"
        q(loc, Reason.NOT_A_NOTE, f"resource type {shown} is not a clinical note")
        return None
    DocumentReference, _, _ = _models()
    try:
        return _note(DocumentReference.model_validate(obj), binaries, uri, loc, fmt)
    except ValidationError as exc:
        if any(e["type"] == "base64_decode" for e in exc.errors(include_input=False)):
            q(loc, Reason.INVALID_BASE64, "attachment data is not valid base64")
        else:
            q(loc, Reason.INVALID_FHIR, f"DocumentReference fails FHIR validation ({exc.error_count()} errors)")
    except RecordError as exc:
        q(loc, exc.reason, str(exc))
    except Exception as exc:  # noqa: BLE001 - one resource's failure is that resource's
        q(loc, Reason.INVALID_FHIR, f"DocumentReference could not be read ({type(exc).__name__})")
    return None
