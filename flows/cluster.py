"""Fan-out of a run's shards over a Dask cluster (prefect-dask), when `cluster.address` is set.

The parent flow keeps what must have one owner: the output lock and its heartbeat, the plan, the
accounts, supersede and finalize. Each shard becomes two Prefect tasks on the cluster,
`deidentify-shard` then `extract-shard` (which depends on it), with the same task functions and
commit records as a one-process run: a shard's parts have deterministic names and appear whole, and
its manifest (the commit) is written last. When a worker dies, the Dask scheduler runs its tasks
again on another worker: a shard whose de-identification was staged reuses it, a shard whose
manifest this run already wrote returns that commit (flows.tasks.extract_shard), and a shard cut
off half-way rewrites the same part names; so a shard is committed once, never twice.

At most `cluster.shards_in_flight` shards are submitted and not yet collected (bounded memory in
the parent and the scheduler). Tasks carry references and settings only; note text stays in the
output's staging area. Dask resources route the stages to pools: `cluster.deid_resources` (a CPU
pool), `cluster.extract_resources` (a GPU pool: workers started with `--resources GPU=1`)."""

from __future__ import annotations

import contextlib
from collections import deque

from flows import ledger, progress, storage
from flows.results import DeidShardResult, ExtractShardResult, PlanResult
from flows.settings import Settings
from flows.tasks import deidentify_shard, extract_shard


def _s3_plugin(s3):  # noqa: ANN001, ANN202 - S3Settings -> a distributed.WorkerPlugin
    """Every worker, also one that joins later, uses this run's S3 settings (endpoint, encryption
    arguments) for its reads and writes."""
    from distributed import WorkerPlugin

    class ConfigureS3(WorkerPlugin):
        def __init__(self, settings) -> None:  # noqa: ANN001
            self.settings = settings

        def setup(self, worker) -> None:  # noqa: ANN001
            storage.configure_s3(self.settings)

    return ConfigureS3(s3)


def _resources(spec: dict[str, float]):  # noqa: ANN202 - a context manager
    import dask

    return dask.annotate(resources=dict(spec)) if spec else contextlib.nullcontext()


def process_on_cluster(settings: Settings, plan: PlanResult, run_id: str, lock: ledger.OutputLock,
                       kept: list[dict | None]) -> tuple[list[DeidShardResult], list[ExtractShardResult]]:  # fmt: skip
    """Every shard not `kept` (committed by an interrupted run) de-identified and extracted on the
    cluster; results in shard order. Each Dask worker is one de-identification process (the
    cluster's workers are the parallelism)."""
    from prefect_dask import DaskTaskRunner

    cfg, sink = settings.cluster, settings.sink
    deid = settings.deid.model_copy(update={"workers": 1}).by_reference()  # the key id travels, not the key
    n = len(plan["shard_ids"])
    deid_parts: list = [k["deid"] if k else None for k in kept]
    extract_parts: list = [k["extract"] if k else None for k in kept]
    todo = deque(k for k in range(n) if kept[k] is None)
    with DaskTaskRunner(address=cfg.address) as runner:
        runner.client.register_plugin(_s3_plugin(settings.s3), name="chartsift-s3")
        in_flight: deque = deque()

        def submit(k: int) -> None:
            sid = plan["shard_ids"][k]
            with _resources(cfg.deid_resources):
                d = runner.submit(deidentify_shard, {"plan_uri": plan["plan_uri"], "shard": k, "sid": sid,
                                                     "deid": deid, "sink": sink, "run_id": run_id})  # fmt: skip
            with _resources(cfg.extract_resources):
                e = runner.submit(extract_shard, {"deid_part": d, "shard": k, "sid": sid, "inference": settings.inference,
                                                  "deid": deid, "sink": sink, "run_id": run_id})  # fmt: skip
            in_flight.append((k, d, e))

        while todo and len(in_flight) < cfg.shards_in_flight:
            submit(todo.popleft())
        while in_flight:
            k, d, e = in_flight.popleft()  # collected in order: the oldest shard first
            extract_parts[k], deid_parts[k] = e.result(), d.result()
            if todo:
                submit(todo.popleft())
            done = sum(p is not None for p in extract_parts)
            progress.report("deid", done, n)
            lock.heartbeat()
    return deid_parts, extract_parts
