"""What the stages run with, built once per process and settings: the de-identifier, its worker
processes and the inference engine (loading spaCy takes a second, a model seconds to minutes). They
are kept in flows.state, keyed by the settings they were built from, so a worker process that
receives the settings as task parameters builds the same objects; nothing is shared between
processes. Also the policy builders that turn settings into what the stage functions take."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from flows import deid_pool
from flows.engines import build_engine
from flows.engines.models import cache_dir
from flows.settings import DeidSettings, InferenceSettings, Settings
from flows.state import STATE
from transforms import lexicons
from transforms.deid import DEID_VERSION, Deidentifier, DeidPolicy
from transforms.deid.spanclf import span_model_path
from transforms.deid.stage import DeidOutcome, deidentify_notes, merge_outcomes, split_for_workers
from transforms.deid.tagger import BUILTIN_MODEL as BUILTIN_TAGGER
from transforms.engine import EngineInfo, InferenceEngine
from transforms.errors import ConfigError
from transforms.records import SourceNote
from transforms.schema import SCHEMA_VERSION


def deid_policy(settings: DeidSettings) -> DeidPolicy:
    """The de-identifier's policy from settings (and, at this edge, where its word lists are cached)."""
    lexicons.set_cache_dir(cache_dir() / "lexicons")
    model = tagger_path(settings.tagger)
    return DeidPolicy(
        secret=settings.secret.get_secret_value().encode(), mode=settings.mode,
        score_threshold=settings.score_threshold, max_shift_days=settings.max_shift_days,
        spacy_model=settings.spacy_model, extra_recognizers=tuple(settings.extra_recognizers),
        extra_clinical_terms=tuple(settings.extra_clinical_terms),
        tagger_model=model, tagger_veto=settings.tagger_veto,
        tagger_threshold=settings.tagger_threshold, span_model=span_path(model),
        span_threshold=settings.tagger_span_threshold, proper_floor=settings.tagger_proper_floor,
        misspelt_floor=settings.tagger_misspelt_floor, wordlike_floor=settings.tagger_wordlike_floor,
        site_names=read_word_files(settings.site_names), site_places=read_word_files(settings.site_places),
    )  # fmt: skip


def scoring_policy(**fields) -> DeidPolicy:  # noqa: ANN003 - DeidPolicy's fields
    """A policy for training and scoring the de-identifier on gold notes, under a fixed, public
    key: for scores only, never for output that is kept."""
    lexicons.set_cache_dir(cache_dir() / "lexicons")
    return DeidPolicy(secret=b"train-deid", **fields)


def run_fingerprint(settings: Settings) -> str:
    """What a run's output depends on: `settings.fingerprint()` and what its names stand for, the
    adapter's weights (sha256) and the PHI tagger's model (`deid_version`), and the extraction's
    SCHEMA_VERSION (which also covers grounded decoding and the grounding rules), so an adapter or tagger
    retrained under the same name is a change the incremental state notices."""
    from flows.adapters import resolve_adapter
    from flows.engines.vllm_engine import adapter_base

    inf = settings.inference
    adapter = resolve_adapter(inf.adapter, adapter_base(inf, inf.engine)) if inf.engine in ("cpu", "gpu") else None
    parts = (settings.fingerprint(), adapter.sha256 if adapter else "", deid_version(deid_policy(settings.deid)),
             SCHEMA_VERSION)  # fmt: skip
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def deid_version(policy: DeidPolicy) -> str:
    """DEID_VERSION names the shipped tagger; a site's own model, or none, is named here instead."""
    if policy.tagger_model is None:
        return DEID_VERSION.split("+", 1)[0] + "+rules"
    if Path(policy.tagger_model) == BUILTIN_TAGGER:
        return DEID_VERSION
    return _site_tagger_version(policy.tagger_model)


@functools.lru_cache(maxsize=4)
def _site_tagger_version(path: str) -> str:
    digest = hashlib.sha256(Path(path).read_bytes())
    spans = span_model_path(path)
    if spans.is_file():
        digest.update(spans.read_bytes())
    return DEID_VERSION.split("+", 1)[0] + "+crf-" + digest.hexdigest()[:12]


def span_path(model: str | None) -> str | None:
    """The span classifier beside a tagger's model file (`tagger_path`), if it has one
    (transforms.deid.spanclf)."""
    if model is None or not span_model_path(model).is_file():
        return None
    return str(span_model_path(model))


def tagger_path(tagger: str | None) -> str | None:
    """The model file of a tagger setting ('builtin' is the one shipped in transforms/deid/models/)."""
    if not tagger or tagger.lower() == "none":
        return None
    path = BUILTIN_TAGGER if tagger == "builtin" else Path(tagger)
    if not path.is_file():
        raise ConfigError(f"PHI tagger model not found: {tagger}")
    return str(path)


def read_word_files(paths: tuple[str, ...]) -> frozenset[str]:
    """Lower-case entries of site lexicon files (one a line; '#' starts a comment), each entry and
    its single words (a roster's 'Maria Vasquez' gives 'maria vasquez', 'maria' and 'vasquez')."""
    out: set[str] = set()
    for p in paths:
        try:
            lines = Path(p).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"site lexicon file cannot be read: {type(exc).__name__}") from None
        for line in lines:
            entry = line.split("#", 1)[0].strip().lower()
            if entry:
                out.add(entry)
                out.update(entry.split())
    return frozenset(out)


def get_deidentifier(policy: DeidPolicy) -> Deidentifier:
    if policy not in STATE.deidentifiers:
        STATE.deidentifiers[policy] = Deidentifier(policy)
    return STATE.deidentifiers[policy]


MIN_NOTES_FOR_POOL = 64


def deid_workers(settings: DeidSettings) -> int:
    return settings.workers or os.cpu_count() or 1


def start_deid_workers(settings: DeidSettings, notes_per_shard: float) -> None:
    """Start the de-identification workers in the background (each loads spaCy and the tagger, a
    few seconds) so the first shard does not wait for them; a no-op with one worker, or where
    shards are too small for deidentify_on_workers to use the pool."""
    if deid_workers(settings) > 1 and notes_per_shard >= MIN_NOTES_FOR_POOL:
        deid_pool.start(deid_policy(settings), deid_workers(settings))


def deidentify_on_workers(policy: DeidPolicy, notes: list[SourceNote], objects: list[str], budget_s: float | None,
                          workers: int) -> DeidOutcome:  # fmt: skip
    """The de-identification stage (transforms.deid.stage.deidentify_notes) over `workers`
    processes, contiguous ranges of the notes queued to them; the same outcome as one process."""
    if workers <= 1 or len(notes) < MIN_NOTES_FOR_POOL:
        return deidentify_notes(notes, objects, get_deidentifier(policy), budget_s=budget_s)
    pool = deid_pool.pool(policy, workers)
    futures = [pool.submit(deid_pool.deidentify_part, policy, notes[lo:hi], objects[lo:hi], budget_s)
               for lo, hi in split_for_workers(len(notes), workers)]  # fmt: skip
    return merge_outcomes([f.result() for f in futures])


def template_name(settings: InferenceSettings, info: EngineInfo) -> str:
    """The prompt template: the one an adapter was trained with, else the configured one."""
    return info.prompt_template or settings.prompt_template


def get_engine(settings: InferenceSettings) -> InferenceEngine:
    """One engine per process and settings (loading a model takes seconds to minutes)."""
    key = settings.model_dump_json()
    if key not in STATE.engines:
        STATE.engines.clear()
        STATE.engines[key] = build_engine(settings)
    return STATE.engines[key]
