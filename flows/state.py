"""All of chartsift's process-wide state, in one place.

Every process holds its own and shares none of it: the flow's process, each de-identification
worker (flows.deid_pool), each benchmark worker (flows.bench) and each Dask worker (flows.cluster).
What is here, and who sets it:

- `s3`: the S3 settings that flows.storage's client uses. The flow sets it at its start
  (`storage.configure_s3`); on a cluster, a worker plugin sets it on every Dask worker, also one
  that joins later. None: the defaults (settings.S3Settings()).
- `engines` and `deidentifiers`: built on first use by flows.runtime, keyed by the settings they
  were built from, so a worker that receives the settings as task parameters builds the same ones.
- `deid_pools`: flows.deid_pool's worker pools, keyed by policy and size.
- `worker`: in a worker process only, what its initializer built (its policy and de-identifier).

This module imports nothing at run time, so every layer of flows/ may read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from flows.settings import S3Settings
    from transforms.deid import Deidentifier, DeidPolicy
    from transforms.engine import InferenceEngine


@dataclass
class ProcessState:
    s3: S3Settings | None = None
    engines: dict[str, InferenceEngine] = field(default_factory=dict)
    deidentifiers: dict[DeidPolicy, Deidentifier] = field(default_factory=dict)
    deid_pools: dict[tuple[DeidPolicy, int], ProcessPoolExecutor] = field(default_factory=dict)
    worker: dict[str, Any] = field(default_factory=dict)


STATE = ProcessState()
