"""Quality monitoring: per-run metrics from counts, and drift checks against the rolling baseline of
earlier runs. Pure functions over aggregates; no note text ever enters here."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from transforms.codes import GROUNDED
from transforms.schema import FACT_TYPES

# attributes whose absence is worth watching: a model that stops filling them has drifted
WATCHED_ATTRIBUTES = {"medication": ("dose", "route", "frequency"), "lab": ("value", "unit"), "vital": ("value", "unit")}
PHI_TYPES = ("PERSON", "DATE_TIME", "LOCATION", "PHONE_NUMBER", "EMAIL_ADDRESS", "ID", "AGE", "ORGANIZATION", "URL")


def shard_stats(notes: Iterable[dict], facts: Iterable[dict]) -> dict:
    """Counts for one shard's notes and every fact the model gave, grounded (`facts`) or not
    (`facts_ungrounded`) (merged by `add_stats`; stored in the shard manifest)."""
    notes = list(notes)
    by_type: Counter = Counter()
    missing: Counter = Counter()
    grounded = 0
    for f in facts:
        by_type[f["fact_type"]] += 1
        grounded += f["grounding"] in GROUNDED
        attrs = f["attributes"] or {}
        for attr in WATCHED_ATTRIBUTES.get(f["fact_type"], ()):
            missing[f"{f['fact_type']}.{attr}"] += not attrs.get(attr)
    return {"notes": len(notes), "notes_error": sum(n["extraction_status"] == "error" for n in notes),
            "facts": sum(by_type.values()), "grounded": grounded, "facts_by_type": dict(by_type),
            "missing": dict(missing)}  # fmt: skip


def add_stats(parts: Iterable[dict]) -> dict:
    total = {"notes": 0, "notes_error": 0, "facts": 0, "grounded": 0, "facts_by_type": Counter(), "missing": Counter()}
    for p in parts:
        for k in ("notes", "notes_error", "facts", "grounded"):
            total[k] += p.get(k, 0)
        total["facts_by_type"].update(p.get("facts_by_type", {}))
        total["missing"].update(p.get("missing", {}))
    return {**total, "facts_by_type": dict(total["facts_by_type"]), "missing": dict(total["missing"])}


def run_metrics(stats: dict, notes_input: int, notes_quarantined: int, phi_by_type: dict[str, int]) -> dict[str, float]:
    """The run's metrics; rates over a zero denominator are left out rather than invented."""
    m: dict[str, float] = {}
    out = stats["notes"]
    if notes_input:
        m["quarantine_rate"] = notes_quarantined / notes_input
    if out:
        m["schema_valid_rate"] = 1 - stats["notes_error"] / out
        m["error_rate"] = stats["notes_error"] / out
        m["facts_per_note"] = stats["facts"] / out
        for t in FACT_TYPES:
            m[f"facts_per_note.{t}"] = stats["facts_by_type"].get(t, 0) / out
        for t in sorted(set(PHI_TYPES) | set(phi_by_type)):
            m[f"phi_per_note.{t}"] = phi_by_type.get(t, 0) / out
    if stats["facts"]:
        m["grounded_rate"] = stats["grounded"] / stats["facts"]
    for t, attrs in WATCHED_ATTRIBUTES.items():
        n = stats["facts_by_type"].get(t, 0)
        if n:
            for a in attrs:
                m[f"null_rate.{t}.{a}"] = stats["missing"].get(f"{t}.{a}", 0) / n
    return m


@dataclass(frozen=True)
class DriftPolicy:
    baseline_runs: int = 7  # the rolling window: this many most recent earlier runs
    min_baseline_runs: int = 3  # fewer earlier runs than this: no verdict
    sigmas: float = 3.0
    rel_tolerance: float = 0.25  # the band is never narrower than this share of the baseline mean ...
    abs_tolerance: float = 0.05  # ... nor than this absolute amount (rates and per-note counts)


def compare(current: dict[str, float], history: Sequence[dict[str, float]], policy: DriftPolicy) -> list[dict]:
    """One row per metric: the value, the baseline (mean, sd, runs) and the band, and a status of
    ok, drift (outside the band) or no_baseline. `history` is newest first."""
    window = list(history)[: policy.baseline_runs]
    rows = []
    for name in sorted(current):
        value = current[name]
        past = [h[name] for h in window if h.get(name) is not None and not math.isnan(h[name])]
        row = {"metric": name, "value": value, "baseline_runs": len(past), "baseline_mean": None,
               "baseline_sd": None, "lower": None, "upper": None, "status": "no_baseline"}  # fmt: skip
        if len(past) >= policy.min_baseline_runs:
            mean = sum(past) / len(past)
            sd = math.sqrt(sum((x - mean) ** 2 for x in past) / (len(past) - 1))
            half = max(policy.sigmas * sd, policy.rel_tolerance * abs(mean), policy.abs_tolerance)
            lower, upper = mean - half, mean + half
            row.update(baseline_mean=mean, baseline_sd=sd, lower=lower, upper=upper,
                       status="ok" if lower <= value <= upper else "drift")  # fmt: skip
        rows.append(row)
    return rows


def drift_warnings(rows: Sequence[dict]) -> list[str]:
    return [f"drift: {r['metric']} = {r['value']:.3f}, expected {r['lower']:.3f}..{r['upper']:.3f} "
            f"(baseline of {r['baseline_runs']} runs)" for r in rows if r["status"] == "drift"]  # fmt: skip
