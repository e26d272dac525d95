"""`chartsift eval-deid`: run the de-identifier over a gold file and score it."""

from __future__ import annotations

import json
from pathlib import Path

from flows.settings import Settings
from flows.tasks import deid_policy, get_deidentifier
from transforms.deid import DeidError
from transforms.deid.evaluate import Evaluation, scorable_gold, score_note


def evaluate_deid(gold_path: Path, settings: Settings | None = None, safe_harbor_ages: bool = True,
                  batch: int = 64) -> Evaluation:  # fmt: skip
    settings = settings or Settings()
    d = get_deidentifier(deid_policy(settings.deid))
    records = [json.loads(line) for line in gold_path.read_text().splitlines() if line.strip()]
    ev = Evaluation()
    for lo in range(0, len(records), batch):
        chunk = records[lo : lo + batch]
        for rec, result in zip(chunk, d.process_batch([(r["text"], r["id"], None) for r in chunk]), strict=True):
            # a failed note is quarantined: nothing leaks, nothing is caught
            spans, out = ([], "") if isinstance(result, DeidError) else (result[0], result[1].text)
            score_note(ev, rec["text"], scorable_gold(rec.get("phi", []), safe_harbor_ages),
                       [(s.start, s.end, s.entity_type) for s in spans], out)  # fmt: skip
    return ev


def evaluate_extraction(gold_path: Path, settings: Settings | None = None, limit: int | None = None):
    """De-identify each gold note, extract with the configured engine, score against the gold lists."""
    from flows.engines import get_engine
    from flows.extraction import run_extraction
    from transforms.extract_eval import ExtractEvaluation
    from transforms.extract_eval import score_note as score_extract
    from transforms.prompts import load_template

    settings = settings or Settings()
    records = [json.loads(line) for line in gold_path.read_text().splitlines() if line.strip()][:limit]
    d = get_deidentifier(deid_policy(settings.deid))
    texts = []
    for rec, spans in zip(records, d.analyze_batch([r["text"] for r in records]), strict=True):
        texts.append("" if isinstance(spans, DeidError) else d.deidentify(rec["text"], spans, rec["id"], None).text)
    engine = get_engine(settings.inference)
    results = run_extraction(engine, load_template(settings.inference.prompt_template), texts,
                             settings.inference.max_tokens, settings.inference.retry_max_tokens)  # fmt: skip
    ev = ExtractEvaluation()
    for rec, res in zip(records, results, strict=True):
        score_extract(ev, rec.get("gold") or {}, res.facts, res.error)
    return ev, engine.info
