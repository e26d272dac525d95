"""What a run leaves beside the output to prove what it did and to survive crashes:

- the output lock (`_lock/output.json`): one run writes to an output at a time; a lock whose owner
  died (same host, process gone) or stopped heart-beating is taken over;
- shard manifests (`_manifest/shards/<shard_id>.json`): a shard's commit record, written after its
  parts; a shard with a manifest is never computed again for the same content and settings;
- run manifests (`_manifest/runs/<run_id>.json`): which shards made up a run;
- the audit log (`audit/<run_id>-<n>-<event>.json`): append-only (objects are created, never
  overwritten), PHI-free, one JSON object per event, queryable with DuckDB `read_json`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from flows import storage
from flows.layout import OutputLayout
from transforms.errors import KeyMismatch, LockLost, TerminalError
from transforms.keys import content_hash

log = logging.getLogger(__name__)


class OutputLocked(TerminalError):
    """Another run holds the output lock."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class OutputLock:
    uri: str
    run_id: str
    lost: str | None = None  # why the background heartbeat saw the lock taken over

    @classmethod
    def acquire(cls, output_uri: str, run_id: str, wait_s: float = 0.0, stale_after_s: float = 3600.0) -> OutputLock:
        uri = OutputLayout(output_uri).lock()
        deadline = time.monotonic() + wait_s
        while True:
            body = {"run_id": run_id, "host": socket.gethostname(), "pid": os.getpid(), "acquired_at": _now(),
                    "heartbeat_at": _now()}  # fmt: skip
            if storage.create_exclusive(uri, json.dumps(body).encode()):
                return cls(uri, run_id)
            held = _read_lock(uri)
            if held is None:
                continue  # released between our attempt and the read
            if held.get("run_id") == run_id:
                return cls(uri, run_id)  # our own create went through; only its answer was lost
            if cls._stale(held, stale_after_s):
                _take_over(uri, held)
                continue
            if time.monotonic() >= deadline:
                raise OutputLocked(f"output is locked by run {held.get('run_id')} on {held.get('host')} since "
                                   f"{held.get('acquired_at')}; nothing was read or written")  # fmt: skip
            time.sleep(min(2.0, max(0.1, deadline - time.monotonic())))

    @staticmethod
    def _stale(held: dict, stale_after_s: float) -> bool:
        if held.get("host") == socket.gethostname() and isinstance(held.get("pid"), int):
            if not _pid_alive(held["pid"]):
                return True
        try:
            beat = dt.datetime.fromisoformat(held["heartbeat_at"])
        except (KeyError, TypeError, ValueError):
            return True
        return (dt.datetime.now(dt.UTC) - beat).total_seconds() > stale_after_s

    def _check(self) -> dict:
        held = _read_lock(self.uri)
        if held is None or held.get("run_id") != self.run_id:
            raise LockLost("this run lost the output lock (taken over as stale); stopping before writing more")
        return held

    def heartbeat(self) -> None:
        if self.lost is not None:
            raise LockLost(self.lost)
        held = self._check()
        held["heartbeat_at"] = _now()
        storage.write_bytes(self.uri, json.dumps(held).encode())

    @contextlib.contextmanager
    def keep_alive(self, interval_s: float) -> Iterator[OutputLock]:
        """Refresh the lock from a background thread every `interval_s` while the body runs, so one
        long shard never makes a live run look stale. A takeover seen there is raised by the next
        `heartbeat()` of the run's own thread (between shards: it stops before writing more)."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(interval_s):
                try:
                    self.heartbeat()
                except TerminalError as exc:  # LockLost among them
                    self.lost = str(exc)
                    return
                except Exception as exc:  # noqa: BLE001 - a failed refresh (storage blip): try again next beat
                    log.warning("lock heartbeat failed (%s); retrying", type(exc).__name__)

        thread = threading.Thread(target=beat, name="chartsift-lock-heartbeat", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=5)

    def release(self) -> None:
        held = _read_lock(self.uri)
        if held is not None and held.get("run_id") == self.run_id:
            storage.delete(self.uri)


def _read_lock(uri: str) -> dict | None:
    """The lock's content; a torn lock (its writer died mid-write) reads as one with no heartbeat:
    stale, so it is taken over instead of failing every later run."""
    try:
        return storage.read_json(uri)
    except storage.TornObject:
        return {"torn": True}


def _take_over(uri: str, held: dict) -> None:
    """Remove the stale lock `held`, once. Of the runs that find it stale at the same moment, only
    the one that creates its takeover marker (an exclusive create) checks that the lock is still
    `held` and removes it; the others go round again and find the winner's fresh lock. A plain
    delete let a late run remove the winner's lock, and both ran. The marker goes once the stale
    lock has."""
    marker = f"{uri}.takeover-{content_hash(json.dumps(held, sort_keys=True))}"
    if not storage.create_exclusive(marker, b"{}"):
        time.sleep(0.05)
        return
    try:
        if _read_lock(uri) == held:
            log.warning("taking over the output lock of run %s (owner gone or silent)", held.get("run_id"))
            storage.delete(uri)
    finally:
        storage.delete(marker)


def check_key(output_uri: str, key_id: str) -> None:
    """The output remembers the key id it was first written under (`_state/key.json`); a run under
    another key is refused, since its note and patient keys would not match the rows already there."""
    uri = OutputLayout(output_uri).key_record()
    if storage.create_exclusive(uri, json.dumps({"key_id": key_id}).encode()):
        return
    _same_key((storage.read_json(uri) or {}).get("key_id"), key_id)


def verify_key(output_uri: str, key_id: str) -> None:
    """Read-only `check_key` (registry deliveries): an output written under another key is refused;
    one that recorded none is taken as it is."""
    stored = (storage.read_json(OutputLayout(output_uri).key_record()) or {}).get("key_id")
    if stored is not None:
        _same_key(stored, key_id)


def _same_key(stored: str | None, key_id: str) -> None:
    if stored != key_id:
        raise KeyMismatch(f"the output was written under key id {stored} but this run's key id is {key_id}: "
                          "use the output's secret, or a new output for a new key (see README, key rotation)")  # fmt: skip


def shard_manifest_uri(output_uri: str, shard_id: str) -> str:
    return OutputLayout(output_uri).shard_manifest(shard_id)


def read_shard_manifest(output_uri: str, shard_id: str) -> dict | None:
    """The shard's commit record, or None: not committed, or torn (a crash while it was written:
    the shard is done again, writing the same part names)."""
    try:
        return storage.read_json(shard_manifest_uri(output_uri, shard_id))
    except storage.TornObject:
        log.warning("shard %s: its manifest is torn; the shard is done again", shard_id)
        return None


def write_shard_manifest(output_uri: str, shard_id: str, manifest: dict) -> None:
    storage.write_bytes(shard_manifest_uri(output_uri, shard_id), json.dumps(manifest, sort_keys=True).encode())


def _run_manifest_uri(output_uri: str, run_id: str) -> str:
    return OutputLayout(output_uri).run_manifest(run_id)


def run_finished(output_uri: str, run_id: str) -> bool:
    """Whether `run_id` published (its run manifest exists). Shards of unfinished runs are resumed;
    those of finished runs are recomputed when planned again (a full refresh)."""
    return storage.exists(_run_manifest_uri(output_uri, run_id))


def finished_runs(output_uri: str) -> set[str]:
    """The run ids that published (have a run manifest), from one listing."""
    folder = OutputLayout(output_uri).manifests("runs")
    return {o.name.removesuffix(".json") for o in storage.list_objects(folder, missing_ok=True) if o.name.endswith(".json")}


def write_run_manifest(output_uri: str, run_id: str, manifest: dict) -> None:
    uri = _run_manifest_uri(output_uri, run_id)
    storage.write_bytes(uri, json.dumps(manifest, sort_keys=True, default=str).encode())


def who() -> dict:
    """The run's actor: OS user and host, and the Prefect deployment and flow run when there are."""
    out = {"os_user": None, "host": socket.gethostname(), "pid": os.getpid(), "prefect_flow_run_id": None,
           "prefect_flow_run_name": None, "prefect_deployment_id": None, "prefect_deployment_name": None}  # fmt: skip
    try:
        out["os_user"] = getpass.getuser()
    except (KeyError, OSError):
        pass
    try:
        from prefect.runtime import deployment, flow_run

        out.update(prefect_flow_run_id=flow_run.id, prefect_flow_run_name=flow_run.name,
                   prefect_deployment_id=deployment.id, prefect_deployment_name=deployment.name)  # fmt: skip
    except Exception:  # noqa: BLE001 - outside Prefect, or an older runtime: the OS identity stands
        pass
    return out


# every event carries every field (null where it does not apply), so DuckDB sees one schema
OUTCOME_FIELDS = ("outcome", "error_type", "notes_input", "notes_output", "notes_quarantined", "facts_output",
                  "facts_ungrounded", "n_shards", "shards_resumed", "phi_leaks", "engine", "model_id",
                  "model_revision", "adapter_id", "prompt_version", "alerts")  # fmt: skip


class AuditLog:
    """Append-only events of one run. Each event is a new object; an existing name is never
    overwritten (a clash takes the next sequence number)."""

    def __init__(self, output_uri: str, run_id: str, base: dict):
        self.output_uri, self.run_id, self.base, self.seq = output_uri, run_id, base, 0

    def record(self, event: str, **fields: object) -> None:
        unknown = set(fields) - set(OUTCOME_FIELDS)
        if unknown:
            raise ValueError(f"not audit fields: {sorted(unknown)}")
        doc = {"event": event, "recorded_at": _now(), "run_id": self.run_id, **self.base,
               **dict.fromkeys(OUTCOME_FIELDS), **fields}  # fmt: skip
        data = json.dumps(doc, sort_keys=True, default=str).encode()
        while True:
            self.seq += 1
            uri = OutputLayout(self.output_uri).audit_event(self.run_id, self.seq, event)
            if storage.create_exclusive(uri, data):
                return
            try:  # a retried create whose first attempt went through: the event is already there
                if storage.read_bytes(uri) == data:
                    return
            except FileNotFoundError:
                pass
