"""`chartsift deid`: JSONL in, de-identified JSONL out, without Prefect or a model. The input is
parsed by the flow's parse entry point and de-identified by the flow's stage function (the leak
guard included), so what it writes is what a run would."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from flows.runtime import deid_policy, get_deidentifier
from flows.settings import load_settings
from transforms.deid.stage import deidentify_notes
from transforms.parse import parse_stream


def deidentify_jsonl(input_path: Path, output_path: Path, mode: str | None = None, batch: int = 256) -> dict:
    settings = load_settings(source=str(input_path), mode=mode or None)
    settings.require_site_secret()
    deidentifier = get_deidentifier(deid_policy(settings.deid))
    name = input_path.name if input_path.suffix in (".jsonl", ".ndjson", ".gz") else input_path.name + ".jsonl"
    with input_path.open("rb") as stream:
        notes, bad = parse_stream(str(input_path), name, stream, limits=settings.source.limits())
    reasons = Counter(q.reason for q in bad)
    written = 0
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_path.open("w", encoding="utf-8") as out:
        for lo in range(0, len(notes), batch):
            chunk = notes[lo : lo + batch]
            outcome = deidentify_notes(chunk, [input_path.name] * len(chunk), deidentifier)
            reasons.update(q.reason for q in outcome.quarantined)  # phi_leak: the flow's guard, never written
            for n in outcome.notes:
                spans = [{"start": s.start, "end": s.end, "type": s.entity_type} for s in n.result.spans]
                out.write(json.dumps({"id": n.source.source_id, "text": n.result.text, "spans": spans}) + "\n")
                written += 1
    return {"written": written, "quarantined": sum(reasons.values()), "reasons": dict(reasons)}
