"""Where everything lives in an output folder (local path or s3://bucket/prefix). The one place
that spells the layout; the README's "Output" section documents the same tree.

    notes/ facts/ facts_ungrounded/ quarantine/ runs/ metrics/
                                Delta Lake tables (_delta_log/ and Parquet data files; flows/delta.py)
    ids/                        run-<run id>.parquet (OMOP integer ids, append-only)
    reports/                    run-<run id>.html
    audit/                      <run id>-<seq>-<event>.json
    _manifest/shards/           <shard id>.json (a shard's commit record)
    _manifest/runs/             <run id>.json (a run's commit record)
    _state/                     key.json (the site key's id), source-<hash>.json (incremental state),
                                delta-tables.json (the tables are Delta tables: no upgrade to look for)
    _lock/output.json           the one writer's lock
    _staging/                   work in progress: <run id>/plan.json, shards/<shard id>/... (a shard's
                                de-identified notes, then its rows for each table, until the run publishes)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flows import storage

TABLES = ("notes", "facts", "facts_ungrounded", "quarantine", "runs", "metrics")


@dataclass(frozen=True)
class OutputLayout:
    uri: str

    def table(self, name: str) -> str:
        return storage.join(self.uri, name)

    def shard_rows(self, shard_id: str, table: str) -> str:
        """A shard's rows for `notes`, `facts`, `facts_ungrounded` or `quarantine`, staged until the
        run commits them to the tables (finalize)."""
        return self.shard_staging(shard_id, f"rows-{table}.parquet")

    def run_file(self, table: str, run_id: str, ext: str = "parquet") -> str:
        """A run's `ids` part or its HTML report (table "reports", ext "html")."""
        return storage.join(self.uri, table, f"run-{run_id}.{ext}")

    def audit_event(self, run_id: str, seq: int, event: str) -> str:
        return storage.join(self.uri, "audit", f"{run_id}-{seq:03d}-{event}.json")

    def shard_manifest(self, shard_id: str) -> str:
        return storage.join(self.uri, "_manifest", "shards", f"{shard_id}.json")

    def run_manifest(self, run_id: str) -> str:
        return storage.join(self.uri, "_manifest", "runs", f"{run_id}.json")

    def manifests(self, kind: str) -> str:
        """The folder of `shards` or `runs` manifests."""
        return storage.join(self.uri, "_manifest", kind)

    def key_record(self) -> str:
        return storage.join(self.uri, "_state", "key.json")

    def upgrade_record(self) -> str:
        """Written once the output's tables are all Delta tables (flows.upgrade)."""
        return storage.join(self.uri, "_state", "delta-tables.json")

    def source_state(self, source_uri: str) -> str:
        """The incremental state of one source (named by a hash: a source path may name patients)."""
        digest = hashlib.sha256(source_uri.rstrip("/").encode()).hexdigest()[:16]
        return storage.join(self.uri, "_state", f"source-{digest}.json")

    def lock(self) -> str:
        return storage.join(self.uri, "_lock", "output.json")

    def staging(self) -> str:
        return storage.join(self.uri, "_staging")

    def run_staging(self, run_id: str, *parts: str) -> str:
        return storage.join(self.uri, "_staging", run_id, *parts)

    def shard_staging(self, shard_id: str, name: str) -> str:
        return storage.join(self.uri, "_staging", "shards", shard_id, name)
