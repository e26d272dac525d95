"""`chartsift deid`: JSONL in, de-identified JSONL out, without Prefect or a model."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from flows.settings import Settings
from flows.tasks import deid_policy, get_deidentifier
from transforms import keys
from transforms.deid import DeidError
from transforms.deid.leaks import text_leaks
from transforms.parse import parse_jsonl_lines


def deidentify_jsonl(input_path: Path, output_path: Path, mode: str | None = None, batch: int = 256) -> dict:
    settings = Settings()
    settings.source.uri = str(input_path)
    if mode:
        settings.deid.mode = mode  # type: ignore[assignment]
        settings = Settings.model_validate(settings.model_dump())
    settings.require_site_secret()
    policy = deid_policy(settings.deid)
    deidentifier = get_deidentifier(policy)
    notes, bad = parse_jsonl_lines(str(input_path), enumerate(input_path.read_bytes().splitlines(), start=1))
    reasons = Counter(q.reason for q in bad)
    written = 0
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_path.open("w", encoding="utf-8") as out:
        for lo in range(0, len(notes), batch):
            chunk = notes[lo : lo + batch]
            scopes = [keys.patient_key(policy.secret, n.patient_id) or keys.note_key(policy.secret, keys.scoped_id(input_path.name, n.source_id))
                      for n in chunk]  # fmt: skip
            done = deidentifier.process_batch([(n.text, s, n.note_date) for n, s in zip(chunk, scopes, strict=True)])
            for note, result in zip(chunk, done, strict=True):
                if isinstance(result, DeidError):
                    reasons["deid_error"] += 1
                    continue
                analysis, res = result
                if text_leaks(note.text, analysis, res.text, res.replaced):
                    reasons["phi_leak"] += 1  # the same guard as the flow: found PHI that survived is never written
                    continue
                spans = [{"start": s.start, "end": s.end, "type": s.entity_type} for s in res.spans]
                out.write(json.dumps({"id": note.source_id, "text": res.text, "spans": spans}) + "\n")
                written += 1
    return {"written": written, "quarantined": sum(reasons.values()), "reasons": dict(reasons)}
