"""The de-identification worker processes: a spawned pool whose workers each build one
de-identifier and run the de-identification stage on the ranges of notes they are sent.

This module imports nothing heavy at its top: a spawned worker imports it first (to find its
initializer), and the initializer keeps `transformers` and `torch` out of the worker before the
de-identifier is imported. Presidio imports `transformers` (and with it `torch`) whenever it is
installed, ~5 s of a worker's start here, although chartsift's de-identifier (spaCy, Presidio's
pattern recognizers and the CRF tagger) uses neither: a pool of two starts in ~3 s, not ~7 s.
Workers run at a lower CPU priority than the process that feeds the engine."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING

from flows.state import STATE

if TYPE_CHECKING:
    from transforms.deid import DeidPolicy
    from transforms.deid.stage import DeidOutcome
    from transforms.records import SourceNote

UNUSED_IN_WORKERS = ("transformers", "torch")
# Workers yield the CPU to their parent: there the engine is fed (and, on CPU, runs), the slowest
# stage; de-identification has slack and fills the idle cores (bench pipeline: whole/slowest).
WORKER_NICENESS = 10


def _init_worker(policy_pickle: bytes) -> None:
    os.nice(WORKER_NICENESS)
    for name in UNUSED_IN_WORKERS:
        sys.modules.setdefault(name, None)  # an import of it fails fast; spaCy and Presidio then do without
    from transforms.deid import Deidentifier

    policy = pickle.loads(policy_pickle)
    STATE.worker.update(policy=policy, deidentifier=Deidentifier(policy))


def deidentify_part(policy: DeidPolicy, notes: list[SourceNote], objects: list[str], budget_s: float | None) -> DeidOutcome:
    """In a worker: the stage on one range of notes, with the worker's de-identifier."""
    from transforms.deid.stage import deidentify_notes
    from transforms.errors import TerminalError

    if STATE.worker.get("policy") != policy:  # pools are keyed by policy: this would be a bug in the caller
        raise TerminalError("a de-identification worker was sent notes for another policy")
    return deidentify_notes(notes, objects, STATE.worker["deidentifier"], budget_s=budget_s)


def pool(policy: DeidPolicy, workers: int) -> ProcessPoolExecutor:
    """`workers` processes, each holding a de-identifier for `policy`, started once per process
    and policy (spawned: forking a process that holds vLLM's or torch's threads is unsafe)."""
    if (policy, workers) not in STATE.deid_pools:
        ctx = multiprocessing.get_context("spawn")
        STATE.deid_pools[(policy, workers)] = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                                        initargs=(pickle.dumps(policy),))  # fmt: skip
    return STATE.deid_pools[(policy, workers)]


def start(policy: DeidPolicy, workers: int) -> list[Future]:
    """Start the pool's processes now, without waiting (they load spaCy and the tagger while the
    caller plans the run); the futures resolve once every worker is ready."""
    p = pool(policy, workers)
    return [p.submit(_ready) for _ in range(workers)]


def _ready() -> None:
    return None
