import datetime as dt
from html.parser import HTMLParser

from transforms.report import render_run_report

T = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)
RUN = {"run_id": "r2", "status": "completed_with_alerts", "started_at": T, "ended_at": T, "source_uri": "s3://a/<b>",
       "notes_input": 12, "notes_output": 11, "notes_quarantined": 1, "notes_extraction_error": 0, "facts_output": 40,
       "phi_leaks": 0, "n_shards": 2, "shards_resumed": 1, "wall_seconds": 9.5, "model_id": "m", "model_revision": "1",
       "prompt_version": "p", "schema_version": "2.0", "deid_version": "d", "phi_by_type": {"PERSON": 20, "DATE_TIME": 9},
       "alerts": ["drift: facts_per_note.diagnosis = 0.000, expected 0.8..1.2 (baseline of 4 runs)"]}  # fmt: skip
METRICS = [
    {"metric": "facts_per_note.diagnosis", "value": 0.0, "lower": 0.8, "upper": 1.2, "baseline_runs": 4, "status": "drift"},
    {"metric": "facts_per_note.medication", "value": 2.0, "lower": 1.5, "upper": 2.5, "baseline_runs": 4, "status": "ok"},
    {"metric": "grounded_rate", "value": 1.0, "lower": None, "upper": None, "baseline_runs": 1, "status": "no_baseline"},
]  # fmt: skip


def test_when_a_run_drifted_then_the_report_says_so_with_plots_and_escapes_what_it_prints():
    history = [{"run_id": "r1", "ended_at": T - dt.timedelta(days=1), "notes_per_second": 2.0},
               {"run_id": "r2", "ended_at": T, "notes_per_second": 1.5}]  # fmt: skip
    html = render_run_report(RUN, history, METRICS)
    HTMLParser().feed(html)  # well-formed enough to parse
    assert "1 metric(s) drifted" in html and html.count("<svg") == 4
    assert "s3://a/&lt;b&gt;" in html and "<b>" not in html
    assert "PERSON" in html and "facts_per_note.diagnosis" in html
    assert "<script" not in html and "http" not in html.replace("s3://", "")  # nothing fetched
