"""A run report a person can read at a glance: one self-contained HTML page (inline SVG, no
scripts, nothing fetched) built from a run's counts, its metrics and earlier runs' throughput.
Numbers only: nothing here ever sees note text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

_W, _BAR_H = 560, 18
_CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}table{border-collapse:collapse}
td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}.num{text-align:right}
.warn{color:#b00020;font-weight:600}.ok{color:#11692b}.grid{display:grid;grid-template-columns:1fr 1fr;gap:1em 3em}
svg text{font:12px system-ui,sans-serif}"""


def _bars(values: dict[str, float], fmt: str = "{:.2f}") -> str:
    """Horizontal bar chart, one bar per key."""
    if not values:
        return "<p>none</p>"
    top = max(values.values()) or 1.0
    label_w, h = 190, _BAR_H * len(values) + 4
    parts = [f'<svg width="{_W}" height="{h}" role="img">']
    for i, (k, v) in enumerate(sorted(values.items(), key=lambda kv: -kv[1])):
        y = i * _BAR_H + 2
        w = (_W - label_w - 70) * (v / top)
        parts.append(f'<text x="0" y="{y + 13}">{escape(k)}</text>'
                     f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{_BAR_H - 5}" fill="#4c78a8"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{escape(fmt.format(v))}</text>')  # fmt: skip
    return "".join(parts) + "</svg>"


def _line(points: Sequence[tuple[str, float]], unit: str) -> str:
    """Points in time order, joined; the x axis is the run sequence (labels: first and last)."""
    pts = [(t, v) for t, v in points if v is not None]
    if not pts:
        return "<p>no runs with a throughput yet</p>"
    h, pad = 180, 40
    top = max(v for _, v in pts) or 1.0
    step = (_W - 2 * pad) / max(1, len(pts) - 1)
    xy = [(pad + i * step, h - pad - (h - 2 * pad) * v / top) for i, (_, v) in enumerate(pts)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#4c78a8"><title>{escape(t)}: {v:.2f} {unit}'
                   f"</title></circle>" for (x, y), (t, v) in zip(xy, pts, strict=True))  # fmt: skip
    return (f'<svg width="{_W}" height="{h}" role="img">'
            f'<line x1="{pad}" y1="{h - pad}" x2="{_W - pad}" y2="{h - pad}" stroke="#999"/>'
            f'<text x="2" y="{pad - 8}">{top:.2f} {escape(unit)}</text>'
            f'<polyline points="{path}" fill="none" stroke="#4c78a8"/>{dots}'
            f'<text x="{pad}" y="{h - 12}">{escape(pts[0][0][:16])}</text>'
            f'<text x="{_W - pad}" y="{h - 12}" text-anchor="end">{escape(pts[-1][0][:16])}</text></svg>')  # fmt: skip


def _drift(metrics: Sequence[dict]) -> str:
    """Each metric with a baseline: the expected band (grey) and this run's value (dot; red if out)."""
    rows = [m for m in metrics if m["lower"] is not None]
    if not rows:
        return "<p>no baseline yet (needs earlier runs on this output)</p>"
    rows.sort(key=lambda m: (m["status"] != "drift", m["metric"]))
    label_w, plot_w = 230, _W - 230 - 80
    parts = [f'<svg width="{_W}" height="{_BAR_H * len(rows) + 4}" role="img">']
    for i, m in enumerate(rows):
        lo, hi = min(m["lower"], m["value"]), max(m["upper"], m["value"])
        span = (hi - lo) or 1.0

        def x(v: float, lo: float = lo, span: float = span) -> float:
            return label_w + plot_w * (v - lo) / span

        y = i * _BAR_H + 2
        colour = "#b00020" if m["status"] == "drift" else "#11692b"
        parts.append(f'<text x="0" y="{y + 13}">{escape(m["metric"])}</text>'
                     f'<rect x="{x(m["lower"]):.1f}" y="{y + 4}" width="{x(m["upper"]) - x(m["lower"]):.1f}" '
                     f'height="{_BAR_H - 9}" fill="#ddd"/>'
                     f'<circle cx="{x(m["value"]):.1f}" cy="{y + 8}" r="4" fill="{colour}"/>'
                     f'<text x="{label_w + plot_w + 8}" y="{y + 13}" fill="{colour}">{m["value"]:.3f}</text>')  # fmt: skip
    return "".join(parts) + "</svg>"


def _when(v: object) -> str:
    return v.isoformat() if isinstance(v, dt.datetime) else str(v)


def render_run_report(run: dict, history: Sequence[dict], metrics: Sequence[dict]) -> str:
    """`run`: the runs row; `history`: runs rows (run_id, ended_at, notes_per_second, ...), this run
    included; `metrics`: this run's metrics rows (monitor.compare's output)."""
    drift = [m for m in metrics if m["status"] == "drift"]
    fpn = {m["metric"].split(".", 1)[1]: m["value"] for m in metrics if m["metric"].startswith("facts_per_note.")}
    history = sorted(history, key=lambda r: _when(r["ended_at"]))
    counts = [("notes in", run["notes_input"]), ("notes out", run["notes_output"]),
              ("quarantined", run["notes_quarantined"]), ("extraction errors", run["notes_extraction_error"]),
              ("facts", run["facts_output"]), ("facts ungrounded (audit)", run.get("facts_ungrounded", 0)),
              ("PHI leaks blocked", run["phi_leaks"]),
              ("shards (resumed)", f"{run['n_shards']} ({run.get('shards_resumed', 0)})"),
              ("wall seconds", f"{run['wall_seconds']:.1f}"),
              ("model", f"{run['model_id']} {run['model_revision']}"), ("prompt / schema / de-id",
               f"{run['prompt_version']} / {run['schema_version']} / {run['deid_version']}")]  # fmt: skip
    table = "".join(f"<tr><td>{escape(k)}</td><td class=num>{escape(str(v))}</td></tr>" for k, v in counts)
    alerts = "".join(f"<li class=warn>{escape(a)}</li>" for a in run.get("alerts") or [])
    verdict = (f"<p class=warn>{len(drift)} metric(s) drifted from the baseline.</p>" if drift
               else "<p class=ok>No drift against the baseline.</p>")  # fmt: skip
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>chartsift run {escape(run['run_id'])}</title>
<style>{_CSS}</style></head><body>
<h1>chartsift run {escape(run['run_id'])} &mdash; {escape(str(run['status']))}</h1>
<p>{escape(_when(run['started_at']))} to {escape(_when(run['ended_at']))}; source {escape(str(run['source_uri']))}</p>
{verdict}<ul>{alerts}</ul>
<div class=grid>
<div><h2>Counts</h2><table>{table}</table></div>
<div><h2>Throughput over runs (notes/s)</h2>{_line([(_when(r['ended_at']), r['notes_per_second']) for r in history], 'notes/s')}</div>
<div><h2>Facts per note, by type</h2>{_bars(fpn)}</div>
<div><h2>PHI found, by type</h2>{_bars({k: float(v) for k, v in (run['phi_by_type'] or {}).items()}, '{:.0f}')}</div>
</div>
<h2>Drift against the baseline (grey: expected band; dot: this run)</h2>{_drift(metrics)}
</body></html>
"""
