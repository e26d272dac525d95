"""`chartsift eval-deid` and `eval-extract`: gold notes through the flow's de-identification stage
(and the extraction engine), scored."""

from __future__ import annotations

import json
from pathlib import Path

from flows.runtime import deid_policy, get_deidentifier
from flows.settings import Settings
from transforms.deid import Deidentifier
from transforms.deid.evaluate import Evaluation, scorable_gold, score_note
from transforms.deid.stage import DeidNote, deidentify_notes
from transforms.records import SourceNote


def gold_notes(records: list[dict], name: str) -> list[SourceNote]:
    """Gold records as parsed notes (no patient: each note is its own scope, as before the stage)."""
    return [SourceNote(str(i), r["text"], name, f"line {i + 1}", "jsonl") for i, r in enumerate(records)]


def deid_by_index(records: list[dict], name: str, deidentifier: Deidentifier, batch: int = 64) -> list[DeidNote | None]:
    """Each gold record through the de-identification stage (the flow's function): its DeidNote,
    including one the leak guard blocked (scored as what the de-identifier did), or None when it
    failed (quarantined: nothing leaks, nothing is caught)."""
    notes = gold_notes(records, name)
    out: list[DeidNote | None] = [None] * len(notes)
    for lo in range(0, len(notes), batch):
        outcome = deidentify_notes(notes[lo : lo + batch], [name] * len(notes[lo : lo + batch]), deidentifier)
        for n in (*outcome.notes, *outcome.blocked):
            out[int(n.source.source_id)] = n
    return out


def evaluate_deid(gold_path: Path, settings: Settings | None = None, safe_harbor_ages: bool = True,
                  batch: int = 64) -> Evaluation:  # fmt: skip
    settings = settings or Settings()
    d = get_deidentifier(deid_policy(settings.deid))
    records = [json.loads(line) for line in gold_path.read_text().splitlines() if line.strip()]
    ev = Evaluation()
    for rec, n in zip(records, deid_by_index(records, gold_path.name, d, batch), strict=True):
        spans, out = ([], "") if n is None else (n.result.spans, n.result.text)
        score_note(ev, rec["text"], scorable_gold(rec.get("phi", []), safe_harbor_ages),
                   [(s.start, s.end, s.entity_type) for s in spans], out)  # fmt: skip
    return ev


def evaluate_extraction(gold_path: Path, settings: Settings | None = None, limit: int | None = None):
    """De-identify each gold note, extract with the configured engine, score against the gold lists."""
    from flows.runtime import get_engine
    from transforms.extract_eval import ExtractEvaluation
    from transforms.extract_eval import score_note as score_extract
    from transforms.extraction import run_extraction
    from transforms.prompts import load_template

    settings = settings or Settings()
    records = [json.loads(line) for line in gold_path.read_text().splitlines() if line.strip()][:limit]
    d = get_deidentifier(deid_policy(settings.deid))
    outcome = deidentify_notes(gold_notes(records, gold_path.name), [gold_path.name] * len(records), d)
    by_index = {int(n.source.source_id): n.result.text for n in outcome.notes}
    texts = [by_index.get(i, "") for i in range(len(records))]  # a quarantined note is never extracted
    engine = get_engine(settings.inference)
    results = run_extraction(engine, load_template(settings.inference.prompt_template), texts,
                             settings.inference.max_tokens, settings.inference.retry_max_tokens)  # fmt: skip
    ev = ExtractEvaluation()
    for rec, res in zip(records, results, strict=True):
        score_extract(ev, rec.get("gold") or {}, res.facts, res.error)
    return ev, engine.info
