"""`chartsift eval-deid` and `eval-extract`: gold notes through the flow's de-identification stage
(and the extraction engine), scored."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from flows.runtime import deid_policy, get_deidentifier
from flows.settings import Settings
from transforms.deid.evaluate import Evaluation, scorable_gold, score_note
from transforms.deid.stage import deidentify_texts, surrogates


def evaluate_deid(gold_path: Path, settings: Settings | None = None, safe_harbor_ages: bool = True) -> Evaluation:
    settings = settings or Settings()
    d = get_deidentifier(deid_policy(settings.deid))
    records = [json.loads(line) for line in gold_path.read_text().splitlines() if line.strip()]
    ev = Evaluation()
    # a note the leak guard blocked is scored as what the de-identifier did to it
    for rec, done in zip(records, deidentify_texts([r["text"] for r in records], gold_path.name, d), strict=True):
        res = None if done is None else done[0].result
        score_note(ev, rec["text"], scorable_gold(rec.get("phi", []), safe_harbor_ages),
                   [(s.start, s.end, s.entity_type) for s in res.spans] if res else [],
                   res.text if res else "", res.replaced if res else [])  # fmt: skip
    return ev


def deidentified_texts(texts: list[str], name: str, settings: Settings) -> list[str | None]:
    """Texts through the flow's de-identification stage; None where the stage quarantined or blocked
    the note (it never reaches a model)."""
    return [None if done is None else done[0] for done in deidentified_notes(texts, name, settings)]


def deidentified_notes(texts: list[str], name: str, settings: Settings) -> list[tuple[str, list[str]] | None]:
    """`deidentified_texts` with the surrogates each text's de-identification wrote (as the staged
    notes carry them to extraction)."""
    d = get_deidentifier(deid_policy(settings.deid))
    return [None if done is None or done[1] else (done[0].result.text, surrogates(done[0].result))
            for done in deidentify_texts(texts, name, d)]  # fmt: skip


def evaluate_extraction(gold_path: Path, settings: Settings | None = None, limit: int | None = None):
    """De-identify each gold note, extract with the configured engine, score against the gold
    (transforms.extract_eval): every fact the model gave goes in, grounded or not."""
    from flows.runtime import get_engine, template_name
    from transforms.extract_eval import ExtractEvaluation
    from transforms.extract_eval import score_note as score_extract
    from transforms.extraction import run_extraction
    from transforms.prompts import load_template

    settings = settings or Settings()
    records = [json.loads(line) for line in gold_path.read_text().splitlines() if line.strip()][:limit]
    done = [d or ("", []) for d in deidentified_notes([r["text"] for r in records], gold_path.name, settings)]  # a quarantined note is never extracted
    texts = [text for text, _ in done]
    engine = get_engine(settings.inference)
    results = run_extraction(engine, load_template(template_name(settings.inference, engine.info)), texts,
                             settings.inference.max_tokens, settings.inference.retry_max_tokens,
                             grounded=settings.inference.grounded_decoding, surrogates=[s for _, s in done])  # fmt: skip
    ev = ExtractEvaluation()
    for rec, res, text in zip(records, results, texts, strict=True):
        score_extract(ev, rec, res.facts, res.error, text)
    return ev, engine.info


def extract_column(gold_path: Path, settings: Settings, limit: int | None = None) -> tuple[str, dict[str, str], object, str]:
    """One column of the eval-extract report: its label (the adapter id, or "base"), the figures,
    the engine's info and the one-line summary."""
    from transforms.extract_eval import figures, summary_line

    ev, info = evaluate_extraction(gold_path, settings, limit)
    return (info.adapter_id or "base"), figures(ev), info, summary_line(ev)


def cli_json(args: list[str], env: dict[str, str] | None = None) -> dict:
    """Run a `chartsift` command that takes `--json PATH` in a child process (one vLLM engine per
    process) and return what it wrote there."""
    import os

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        subprocess.run([sys.executable, "-m", "flows.cli", *args, "--json", str(out)], check=True,
                       stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})})  # fmt: skip
        return json.loads(out.read_text())


def compare_columns(gold_path: Path, adapter: str, engine: str | None, model: str | None,
                    limit: int | None) -> list[tuple[str, dict[str, str]]]:  # fmt: skip
    """The base model and `adapter`, each evaluated in its own process, as report columns."""
    columns = []
    for spec in ("none", adapter):
        doc = cli_json(["eval-extract", "--gold", str(gold_path), "--adapter", spec,
                        *(["--engine", engine] if engine else []), *(["--model", model] if model else []),
                        *(["--limit", str(limit)] if limit else [])])  # fmt: skip
        columns.append((doc["label"], doc["figures"]))
    return columns
