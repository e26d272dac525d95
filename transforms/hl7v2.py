"""HL7 v2 notes via python-hl7: MDM^T02 (TXA + OBX) and ORU^R01 (OBR + OBX), report text in OBX
TX/FT/ST segments (many segments, repetitions), escape sequences unescaped; plain, MLLP-framed
and batch (FHS/BHS ... BTS/FTS) files. Patient id from PID-3, date from TXA-4/TXA-6 or OBR-7,
note type from TXA-2 or OBR-4, note id from TXA-12 or MSH-10.
"""

from __future__ import annotations

import re

import hl7

from transforms.errors import RecordError
from transforms.records import Quarantined, SourceNote

_SUPPORTED = {("MDM", "T02"), ("MDM", "T04"), ("MDM", "T06"), ("MDM", "T08"), ("MDM", "T10"), ("ORU", "R01")}
_BATCH = ("FHS", "BHS", "BTS", "FTS")
_TEXT_TYPES = {"TX", "FT", "ST"}


def split_messages(text: str) -> list[str]:
    """Messages in a file: strips MLLP framing (VT ... FS CR), drops batch header/trailer segments,
    and cuts at each MSH segment."""
    text = text.replace("\x0b", "").replace("\x1c", "\r")
    segments = [s for s in re.split(r"\r\n|\r|\n", text) if s.strip()]
    messages: list[list[str]] = []
    for seg in segments:
        if seg[:3] in _BATCH:
            continue
        if seg.startswith("MSH"):
            messages.append([seg])
        elif messages:
            messages[-1].append(seg)
        else:
            messages.append([seg])  # text before any MSH: reported as a bad message
    return ["\r".join(m) for m in messages]


def unescape(value: str, seps: dict[str, str]) -> str:
    f, c, r, e, s = seps["field"], seps["component"], seps["repetition"], seps["escape"], seps["subcomponent"]
    esc = re.escape(e)

    def repl(m: re.Match[str]) -> str:
        code = m.group(1)
        table = {"F": f, "S": c, "R": r, "E": e, "T": s, ".br": "\n", "H": "", "N": ""}
        if code in table:
            return table[code]
        if code.startswith(".sp"):
            n = code[3:].strip()
            # "\.sp999999999\" in a 90-byte message once made a 1 GB note: a few blank lines at most
            return "\n" * (min(int(n), MAX_SP_LINES) if n.isascii() and n.isdigit() and len(n) <= 4 else 1)
        if code.startswith(".in") or code.startswith(".ti") or code in (".fi", ".nf", ".ce"):
            return ""
        if code.startswith("X") and re.fullmatch(r"X(?:[0-9A-Fa-f]{2})+", code):
            return bytes.fromhex(code[1:]).decode("latin-1")
        return ""

    return re.sub(rf"{esc}([^{esc}]*){esc}", repl, value)


MAX_SP_LINES = 20  # HL7 .sp (skip lines) is layout: bounded so an escape cannot expand a note


def _field(seg, n: int) -> str:  # noqa: ANN001
    try:
        return str(seg(n)) if len(seg) > n else ""
    except (IndexError, KeyError):
        return ""


def _date(value: str) -> str | None:
    digits = re.match(r"(\d{4})(\d{2})(\d{2})", value or "")
    return f"{digits.group(1)}-{digits.group(2)}-{digits.group(3)}" if digits else None


def parse_message(raw: str, uri: str, locator: str) -> SourceNote:
    if not raw.startswith("MSH"):
        raise RecordError("invalid_hl7", "message does not start with an MSH segment")
    enc = raw[3:8]
    if len(enc) < 5 or len(set(enc)) < 5 or any(ch.isalnum() or ch.isspace() for ch in enc):
        raise RecordError("bad_encoding_characters", "MSH-1/MSH-2 encoding characters are missing or invalid")
    try:
        msg = hl7.parse(raw)
    except Exception as exc:  # noqa: BLE001 - python-hl7 raises several types
        raise RecordError("invalid_hl7", f"message does not parse ({type(exc).__name__})") from None
    seps = {"field": enc[0], "component": enc[1], "repetition": enc[2], "escape": enc[3], "subcomponent": enc[4]}
    msh = msg.segment("MSH")
    mtype = _field(msh, 9).split(seps["component"])
    kind = (mtype[0], mtype[1] if len(mtype) > 1 else "")
    if kind not in _SUPPORTED:
        shown = f"{kind[0]}^{kind[1]}" if re.fullmatch(r"[A-Z]{3}\^[A-Z0-9]{3}", f"{kind[0]}^{kind[1]}") else "other"
        raise RecordError("unsupported_message", f"message type {shown} carries no note")  # never a raw value
    segs = {s[0][0] if isinstance(s[0], list) else str(s[0]): s for s in msg}
    pid, txa, obr = segs.get("PID"), segs.get("TXA"), segs.get("OBR")
    patient = _field(pid, 3).split(seps["repetition"])[0].split(seps["component"])[0] if pid else None
    if kind[0] == "MDM":
        date = _date(_field(txa, 4)) or _date(_field(txa, 6)) if txa else None
        ntype = unescape(_field(txa, 2).split(seps["component"])[-1] or _field(txa, 2), seps) if txa else None
        note_id = _field(txa, 12).split(seps["component"])[0] if txa else ""
    else:
        date = _date(_field(obr, 7)) if obr else None
        parts = _field(obr, 4).split(seps["component"]) if obr else []
        ntype = unescape(parts[1] if len(parts) > 1 else (parts[0] if parts else ""), seps) or None
        note_id = ""
    note_id = note_id or _field(msh, 10)
    if not note_id:
        raise RecordError("missing_field", "no TXA-12 or MSH-10 to identify the note")
    lines = []
    for seg in msg:
        if str(seg[0]) != "OBX" or _field(seg, 2) not in _TEXT_TYPES:
            continue
        value = _field(seg, 5)
        for rep in value.split(seps["repetition"]):
            lines.append(unescape(rep, seps))
    text = "\n".join(lines).strip()
    if not text:
        raise RecordError("empty_note", "no OBX TX/FT/ST text in the message")
    return SourceNote(note_id, text, uri, locator, "hl7v2", patient or None, date, ntype or None)


def parse_hl7_text(uri: str, text: str) -> tuple[list[SourceNote], list[Quarantined]]:
    notes, bad = [], []
    for i, raw in enumerate(split_messages(text), start=1):
        loc = f"message {i}"
        try:
            notes.append(parse_message(raw, uri, loc))
        except RecordError as exc:
            bad.append(Quarantined(uri, loc, "hl7v2", "parse", exc.reason, str(exc)))
        except Exception as exc:  # noqa: BLE001 - one message's failure is that message's
            bad.append(Quarantined(uri, loc, "hl7v2", "parse", "invalid_hl7", f"message could not be read ({type(exc).__name__})"))
    if not notes and not bad:
        bad.append(Quarantined(uri, "file", "hl7v2", "parse", "empty_note", "file holds no HL7 message"))
    return notes, bad
