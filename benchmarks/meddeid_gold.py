"""Gold notes from a clinical-note generator chartsift did not write: `meddeid-data` (PyPI, en-US
profile), which renders discharge summaries, emergency, nursing and clinic notes, referral letters
and laboratory reports with character-offset PHI spans. It is AGPL-3.0, so it is neither a
dependency nor committed output: install it in a venv of its own, generate, and convert here.

    python3.11 -m venv /tmp/mdd && /tmp/mdd/bin/pip install meddeid-data==0.4.2
    /tmp/mdd/bin/meddeid-data generate --language-profile en-US --count 400 --seed 23 --output /tmp/h7.raw.jsonl
    python benchmarks/meddeid_gold.py /tmp/h7.raw.jsonl --split heldout7 --out out/gold/deid-heldout7.jsonl
    chartsift eval-deid --gold out/gold/deid-heldout7.jsonl

Splits are by seed (dev9: 11, heldout7: 23): the notes differ, the six renderers do not.

Label mapping, to Safe Harbor as the other gold sets count it: Name -> PERSON without a leading
title ("Dr Skya Cadiere" -> "Skya Cadiere"); Age_Birthdate -> AGE when it is an age ("66-year-old",
scored from 90 on), nothing when it is an age in months, weeks or days ("18-month-old"), DATE
otherwise; Date -> DATE; ID -> ID; Contactdetails -> EMAIL or PHONE;
Address_Location -> ADDRESS without the state or territory code ("..., DC 20004" keeps the street,
city and ZIP, as in `pe_corpus.py`); Organization -> ORGANIZATION (hospitals and employers);
Profession is not PHI and is dropped.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

SEEDS = {"dev9": 11, "heldout7": 23}
_TITLE = re.compile(r"(?:(?:Dr|Drs|Mr|Mrs|Ms|Miss|Prof|Rev)\.?\s+)+")
_AGE_YOUNG = re.compile(r"^\d{1,3}\s*-?\s*(?:months?|mos?|weeks?|wks?|days?)(?:[\s-]*old)?$", re.IGNORECASE)
_AGE = re.compile(r"^\d{1,3}(?:\s*-?\s*(?:years?|yrs?|y)(?:[\s-]*old)?|\s*y/o)?$", re.IGNORECASE)
_STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC "
    "ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP"
).split()
_STATE = re.compile(r"(?:,\s*|\s+)\b(?:" + "|".join(_STATES) + r")\b(?=\s+\d{5}|\s*$)")


def _type(label: str, text: str) -> str | None:
    category = label.split(":")[0]
    if category == "Age_Birthdate":
        if _AGE_YOUNG.match(text.strip()):
            return None  # "18-month-old", "2-week-old": an age under 90, never a Safe Harbor identifier
        return "AGE" if _AGE.match(text.strip()) else "DATE"
    if category == "Contactdetails":
        return "EMAIL" if "@" in text else "PHONE"
    return {"Name": "PERSON", "Date": "DATE", "ID": "ID", "Address_Location": "ADDRESS",
            "Organization": "ORGANIZATION"}.get(category)  # fmt: skip


def _pieces(kind: str, start: int, end: int, text: str) -> list[tuple[int, int]]:
    """The parts of one span that are PHI, as (start, end) in the note."""
    if kind == "PERSON":
        m = _TITLE.match(text)
        return [(start + m.end(), end)] if m else [(start, end)]
    if kind == "ADDRESS":
        m = _STATE.search(text)
        if m:
            parts = [(start, start + m.start()), (start + m.end(), end)]
            return [(a + _lead(text[a - start : b - start]), b) for a, b in parts if text[a - start : b - start].strip()]
    return [(start, end)]


def _lead(s: str) -> int:
    return len(s) - len(s.lstrip())


def convert(record: dict, split: str, index: int) -> dict:
    text = record["text"]
    phi = []
    for span in record["spans"]:
        kind = _type(span["label"], span["text"])
        if kind is None:
            continue
        for a, b in _pieces(kind, span["begin"], span["end"], text[span["begin"] : span["end"]]):
            phi.append({"start": a, "end": b, "type": kind, "text": text[a:b]})
    meta = record.get("metadata") or {}
    return {"id": f"{split}-meddeid-{index:04d}", "text": text, "phi": sorted(phi, key=lambda p: p["start"]),
            "meta": {"style": meta.get("document_type", "meddeid"), "source": "meddeid-data en-US"}}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("raw", type=Path, help="meddeid-data generate --output file")
    ap.add_argument("--split", choices=sorted(SEEDS), required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    rows = [json.loads(line) for line in args.raw.read_text().splitlines() if line.strip()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w") as f:
        for i, row in enumerate(rows):
            f.write(json.dumps(convert(row, args.split, i), ensure_ascii=False) + "\n")
    print(f"{len(rows)} notes -> {args.out}")


if __name__ == "__main__":
    main()
