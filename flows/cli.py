"""The `chartsift` command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

# Rich tracebacks with locals would print note text: tracebacks show code and types only.
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False, help="chartsift: de-identify clinical notes, "
                  "extract structured facts with vLLM, write Parquet.")  # fmt: skip
console = Console(stderr=True)


def _quiet_runtime(verbose: bool) -> None:
    """Defaults that keep a CLI run offline and its terminal readable (overridable by env)."""
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # no telemetry: Prefect's server and vLLM would otherwise try to reach their hosts
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("VLLM_NO_USAGE_STATS", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # Prefect keeps its database in PREFECT_HOME but does not create missing parent folders; the
    # database holds flow parameters (the source's URI among them): the owner's alone
    home = Path(os.environ.get("PREFECT_HOME", "~/.prefect")).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("TQDM_DISABLE", "1")


@app.command()
def run(
    source: str = typer.Option("samples/notes", help="Local folder/file or s3://bucket/prefix."),
    output: str = typer.Option("out", help="Local folder or s3://bucket/prefix for Parquet."),
    engine: str = typer.Option(None, help="cpu | gpu | fake | auto | package.module:Class (default: settings, else auto)."),
    model: str | None = typer.Option(None, help="Model id or folder (default per engine)."),
    limit: int | None = typer.Option(None, help="Process at most N notes."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Re-read every object, not only new or changed ones."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect and vLLM logs."),
) -> None:
    """Run the extract-notes flow: read -> de-identify -> extract -> write Parquet."""
    _quiet_runtime(verbose)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows import progress as events
    from flows.settings import load_settings
    from transforms.errors import ChartsiftError

    try:  # before Prefect is imported: a missing secret fails in a second, not after the server's start-up
        s = load_settings(source, output, engine, model, limit)
        s.require_site_secret()
    except ChartsiftError as exc:
        console.print(f"[red]{type(exc).__name__}:[/red] {exc}")
        raise typer.Exit(2) from None
    from flows.extract_notes import DriftError, extract_notes
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as bar:  # fmt: skip
        notes_task = bar.add_task("notes processed", total=None)

        def on_event(stage: str, done: int, total: int) -> None:
            if stage == "plan":
                bar.update(notes_task, total=total)
            elif stage == "notes":
                bar.update(notes_task, completed=done, total=total)

        events.subscribe(on_event)
        try:
            result = extract_notes(source=source, output=output, engine=engine, model=model, limit=limit,
                                   full_refresh=full_refresh)  # fmt: skip
        except DriftError as exc:  # the output is published; the quality check asks for a person
            console.print(f"[red]quality drift:[/red] {exc}")
            raise typer.Exit(3) from None
        except ChartsiftError as exc:  # messages carry types and counts, never note text
            console.print(f"[red]{type(exc).__name__}:[/red] {exc}")
            raise typer.Exit(1) from None
        finally:
            events.unsubscribe(on_event)
    print_summary(result)


def print_summary(run: dict) -> None:
    t = Table(title=f"run {run['run_id']}", show_header=False)
    rows = [
        ("notes in", run["notes_input"]), ("notes out", run["notes_output"]),
        ("quarantined", f"{run['notes_quarantined']} {dict(run['quarantine_by_reason']) or ''}"),
        ("extraction errors", run["notes_extraction_error"]), ("facts", run["facts_output"]),
        ("facts ungrounded (audit)", run.get("facts_ungrounded", 0)),
        ("objects unchanged / changed", f"{run['objects_unchanged']} / {run['objects_changed']} "
                                        f"({run.get('notes_superseded', 0)} earlier rows superseded)"),
        ("objects moved / no longer listed", f"{run.get('objects_moved', 0)} / {run.get('objects_deleted', 0)}"),
        ("PHI found", ", ".join(f"{k} {v}" for k, v in sorted(run["phi_by_type"].items())) or "none"),
        ("engine / model", f"{run['engine']} / {run['model_id']} ({run['model_revision']})"),
        ("wall time", f"{run['wall_seconds']:.1f} s (de-id {run['deid_seconds']:.1f} s, inference {run['inference_seconds']:.1f} s)"),
        ("notes/s", f"{run['notes_per_second']:.2f}" if run["notes_per_second"] else "-"),
        ("generated tokens/s", f"{run['generated_tokens_per_second']:.1f}" if run["generated_tokens_per_second"] else "-"),
        ("output", run["output_uri"]),
    ]  # fmt: skip
    for k, v in rows:
        t.add_row(k, str(v))
    console.print(t)
    if run.get("notice"):
        console.print(f"[yellow]NOTE:[/yellow] {run['notice']}")


@app.command()
def deid(
    input: Path = typer.Option(..., "--input", help="JSONL with {id, text, [patient_id, note_date]}."),
    output: Path = typer.Option(..., "--output", help="JSONL: {id, text, spans:[{start,end,type}]}."),
    mode: str | None = typer.Option(None, help="surrogate | redact | mask (default: settings)."),
) -> None:
    """De-identify only. Span offsets are into the ORIGINAL text (a stable contract)."""
    _quiet_runtime(False)
    from flows.deid_cli import deidentify_jsonl
    from transforms.errors import ChartsiftError

    try:
        counts = deidentify_jsonl(input, output, mode)
    except ChartsiftError as exc:
        console.print(f"[red]{type(exc).__name__}:[/red] {exc}")
        raise typer.Exit(2) from None
    console.print(f"de-identified {counts['written']} notes, quarantined {counts['quarantined']} "
                  f"(reasons: {counts['reasons'] or 'none'}) -> {output}")  # fmt: skip
    if counts["quarantined"]:
        raise typer.Exit(1)


@app.command("eval-deid")
def eval_deid(
    gold: Path = typer.Option(..., "--gold", help='JSONL: {"id","text","phi":[{"start","end","type"}]}.'),
    all_ages: bool = typer.Option(False, "--all-ages", help="Score gold ages under 90 too (not Safe Harbor PHI)."),
    cv: int = typer.Option(0, "--cv", help="K-fold cross-validation grouped by patient: train the tagger on K-1 folds "
                           "(plus benchmarks/data/deid-dev*.jsonl), score the held-out fold; pooled held-out figures."),
    cv_seed: int = typer.Option(13, "--cv-seed", help="With --cv: the seed that cuts patients and files into folds "
                                "(13: train-deid's partition; others measure how much the figures owe to one cut)."),
) -> None:
    """Score the de-identifier against gold spans; last line: recall= precision= span_recall= leaks= notes=."""
    _quiet_runtime(False)
    from flows.evaluation import evaluate_deid
    from transforms.deid.evaluate import report_lines

    if cv:
        from flows.train_deid import cv_command

        dev = sorted((Path(__file__).resolve().parents[1] / "benchmarks" / "data").glob("deid-dev*.jsonl"))
        for line in cv_command(gold, cv, dev, seed=cv_seed):
            print(line)
        return

    for line in report_lines(evaluate_deid(gold, safe_harbor_ages=not all_ages)):
        print(line)


@app.command()
def query(
    sql: str = typer.Argument(..., help="SQL text, or a .sql file (e.g. sql/note_nlp.sql)."),
    output: str = typer.Option("out", "--output", help="chartsift output: local folder or s3://bucket/prefix."),
    limit: int = typer.Option(50, help="Rows to print (table format; a file gets every row)."),
    fmt: str = typer.Option("table", "--format", help="table (print) | csv | parquet | json (JSON lines)."),
    to: Path | None = typer.Option(None, "--to", help="Write the result to this file (needs --format csv, parquet or json)."),
    vocabulary: Path | None = typer.Option(None, "--vocabulary", help="OHDSI Athena export folder (CONCEPT.csv): concept ids for sql/note_nlp.sql."),
    as_of: str | None = typer.Option(None, "--as-of", help="Query the tables as a past run published them: RUN_ID, a notes table VERSION, or an ISO TIMESTAMP (UTC)."),
) -> None:
    """Run DuckDB SQL over the output; views notes, facts, facts_ungrounded, quarantine, runs,
    metrics, ids, chartsift_concept and audit are defined (sql/views.sql). With --as-of, over the
    Delta tables as they were then (time travel)."""
    from flows.query import FORMATS, export, run_sql, show
    from transforms.errors import QueryError

    if fmt not in FORMATS:
        raise QueryError(f"--format {fmt}: use one of {', '.join(FORMATS)}")
    vocab = str(vocabulary) if vocabulary else None
    if (to is None) != (fmt == "table"):
        raise QueryError("--to FILE goes with --format csv, parquet or json (and table prints)")
    if to is not None:
        print(f"{export(output, sql, fmt, str(to), vocab, as_of)} rows -> {to}")
        return
    rel = run_sql(output, sql, vocab, as_of)
    if rel is not None:
        show(rel, limit, as_of)


@app.command("eval-extract")
def eval_extract(
    gold: Path = typer.Option(..., "--gold", help="JSONL with text and a target (extract corpus) or Synthea gold lists."),
    engine: str = typer.Option(None, help="cpu | gpu | fake | auto (default: settings)."),
    model: str | None = typer.Option(None, help="Model id or folder."),
    limit: int | None = typer.Option(None, help="Score only the first N notes."),
    adapter: str | None = typer.Option(None, help="default | none | a packaged adapter | a folder (default: settings)."),
    compare: str | None = typer.Option(None, "--compare", help="Evaluate the base model and this adapter side by side."),
    card: bool = typer.Option(False, "--card", help="Write the figures into the adapter's card and README."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the figures as JSON to this file."),
) -> None:
    """Extract from gold notes (after de-identification) and print precision/recall per fact type,
    attribute accuracy, the grounded rate and copies of the prompt's example."""
    _quiet_runtime(False)
    from flows.adapters import record_eval, resolve_adapter
    from flows.evaluation import compare_columns, extract_column
    from flows.settings import load_settings
    from transforms.extract_eval import report_lines

    settings = load_settings(engine=engine or None, model=model or None, adapter=compare or adapter)
    if compare:
        columns = compare_columns(gold, compare, engine, model, limit)
    else:
        label, figs, info, summary = extract_column(gold, settings, limit)
        columns = [(label, figs)]
        print(f"engine={info.name} model={info.model_id} revision={info.model_revision} adapter={info.adapter_id or 'none'}")
    for line in report_lines(columns):
        print(line)
    if not compare:
        print(summary)
    if json_out is not None:
        json_out.write_text(json.dumps({"label": columns[-1][0], "figures": columns[-1][1]}))
    if card:
        found = resolve_adapter(settings.inference.adapter, settings.inference.model or "smollm2-135m")
        if found is None:
            raise typer.BadParameter("--card needs an adapter (--compare ADAPTER or --adapter)")
        command = " ".join(["chartsift eval-extract", f"--gold {gold}", *([f"--limit {limit}"] if limit else []),
                            *([f"--compare {compare}"] if compare else [f"--adapter {adapter}"] if adapter else [])])  # fmt: skip
        record_eval(Path(found.path), f"{gold.stem}" + (f" (first {limit} notes)" if limit else ""), command, columns)
        print(f"figures written to the card of {found.adapter_id}")


@app.command("finetune")
def finetune_cmd(
    train: list[Path] = typer.Option(..., "--train", help="Gold JSONL ({text, target} per line; benchmarks/extract_corpus.py writes them)."),
    out: Path = typer.Option(..., "--out", help="Adapter folder to write (a checkpoint there is resumed)."),
    base: str = typer.Option("smollm2-135m", "--base", help="smollm2-135m | gemma3-270m | a local model folder."),
    epochs: float = typer.Option(2.0, help="Passes over the training notes."),
    lr: float = typer.Option(3e-4, help="Peak learning rate (cosine decay)."),
    rank: int = typer.Option(16, help="LoRA rank (alpha = 2 x rank)."),
    grad_accum: int = typer.Option(8, help="Examples per optimizer step."),
    seed: int = typer.Option(0, help="Seed for data order, LoRA init and dropout."),
    limit: int | None = typer.Option(None, help="Use only the first N notes (a quick check of the path)."),
    max_steps: int | None = typer.Option(None, help="Stop after N optimizer steps (resume later with the same command)."),
    name: str = typer.Option("chartsift-extract", help="Adapter name (its id adds the sha256 prefix)."),
) -> None:
    """LoRA fine-tuning of the extraction model on de-identified gold notes; writes an adapter folder."""
    _quiet_runtime(False)
    from flows.finetune import FinetuneConfig, finetune
    from flows.settings import load_settings

    cfg = FinetuneConfig(train=tuple(str(p) for p in train), out=str(out), base=base, epochs=epochs, lr=lr,
                         rank=rank, alpha=2 * rank, grad_accum=grad_accum, seed=seed, limit=limit,
                         max_steps=max_steps, name=name)  # fmt: skip
    card = finetune(cfg, load_settings())
    t = card["training"]
    print(f"adapter={card['adapter_id']} sha256={card['sha256']} steps={t['steps']} seconds={t['seconds']} "
          f"loss_first={t['loss_first']} loss_last={t['loss_last']} notes={card['data']['notes']}")


@app.command("train-deid")
def train_deid(
    real: Path = typer.Option(None, "--real", help="Real gold notes grouped by patient (default: ../shared/data/physionet-deid-dev.jsonl)."),
    extra: list[Path] = typer.Option(None, "--extra", help="More gold files for every training fold (default: benchmarks/data/deid-dev*.jsonl)."),
    out: Path = typer.Option(Path("transforms/deid/models/phi-tagger.crfsuite"), "--out", help="Model file; its card goes beside it (.json)."),
    cv: int = typer.Option(0, "--cv", help="Cross-validate with K folds grouped by patient first (held-out figures)."),
    real_weight: int = typer.Option(3, help="Each real note counts this many times in training."),
    augment_case: bool = typer.Option(False, help="Add lower- and upper-case copies of the extra notes (measured: +0.03 recall on PhysioNet, -0.014 on heldout5; off)."),
    limit: int | None = typer.Option(None, help="At most N notes of each file (a quick check of the path)."),
) -> None:
    """Train the PHI tagger (a CRF stacked on the rules) with a fixed seed; print its card."""
    _quiet_runtime(False)
    from flows.settings import DeidSettings
    from flows.train_deid import DEFAULT_REAL, train_command

    root = Path(__file__).resolve().parents[1]
    d = DeidSettings()
    card = train_command(real or DEFAULT_REAL, extra or sorted((root / "benchmarks" / "data").glob("deid-dev*.jsonl")),
                         out, cv, real_weight, limit, augment_case, d.tagger_veto, d.tagger_threshold)  # fmt: skip
    print(json.dumps(card, indent=2))
    print(f"model={out} sha256={card['sha256']} train_seconds={card['train_seconds']} total_seconds={card['total_seconds']}")


bench_app = typer.Typer(help="Benchmarks that print ratios against a baseline measured in the same run.")
app.add_typer(bench_app, name="bench")


@bench_app.command("deid")
def bench_deid(
    gold: Path | None = typer.Option(None, "--gold", help="Gold JSONL (default: benchmarks/data/deid-heldout.jsonl)."),
    n: int = typer.Option(200, help="Notes to run."),
    workers: int = typer.Option(os.cpu_count() or 1, help="chartsift worker processes."),
    repeats: int = typer.Option(2, help="Alternating stock/chartsift passes; the best pass of each side counts."),
) -> None:
    """Stock Presidio vs chartsift: notes per CPU-second, wall notes/s, recall, and ratios."""
    _quiet_runtime(False)
    from flows.bench import GOLD, print_report, run

    g = gold or GOLD
    print_report(run(g, n, workers, repeats), g)


@bench_app.command("deid-workers")
def bench_deid_workers(
    gold: Path | None = typer.Option(None, "--gold", help="Gold JSONL (default: benchmarks/data/deid-heldout.jsonl)."),
    n: int = typer.Option(400, help="Notes per pass."),
    workers: int = typer.Option(os.cpu_count() or 1, help="Worker processes (deid.workers)."),
    repeats: int = typer.Option(2, help="Alternating one-process / worker passes; the best of each side counts."),
) -> None:
    """The flow's de-identification stage on one process vs on worker processes: notes/s, ratio."""
    _quiet_runtime(False)
    from flows.bench import GOLD
    from flows.bench import bench_deid_workers as run

    r = run(gold or GOLD, n, workers, repeats)
    print(f"notes={r['notes']} one process: {r['one_process_notes_per_s']:.1f} notes/s; "
          f"{r['workers']} workers: {r['workers_notes_per_s']:.1f} notes/s; ratio workers/one={r['ratio']:.2f}")


@bench_app.command("pipeline")
def bench_pipeline(
    n: int = typer.Option(4000, help="Notes."),
    token_delay_s: float = typer.Option(0.0001, help="Fake engine: seconds per generated token (a model's decode time)."),
    rss_factor: int = typer.Option(10, help="Also run rss_factor x n notes and compare peak RSS (1: skip)."),
) -> None:
    """De-identification alone, inference alone, the whole run: notes/s, whole/slowest, peak RSS."""
    _quiet_runtime(False)
    from flows.bench import bench_pipeline as run

    r = run(n, token_delay_s, rss_factor)
    for label, key in (("de-identification alone", "deid_s"), ("inference alone (fake)", "inference_s"),
                       ("whole pipeline", "whole_s")):  # fmt: skip
        print(f"{label:<26}{r[key]:8.1f} s {n / r[key]:8.1f} notes/s")
    print(f"ratio whole/slowest stage={r['ratio_whole_to_slowest']:.3f}")
    print(f"peak RSS {n} notes: {r['peak_rss_kb'] / 1024:.0f} MiB")
    if "rss_ratio" in r:
        print(f"peak RSS {r['big_notes']} notes: {r['big_peak_rss_kb'] / 1024:.0f} MiB "
              f"({r['big_whole_s']:.1f} s); ratio={r['rss_ratio']:.3f}")


@bench_app.command("extract")
def bench_extract(
    n: int = typer.Option(32, help="Notes (prompts) per side."),
    max_tokens: int = typer.Option(256, help="Generation budget per prompt."),
    repeats: int = typer.Option(2, help="Alternating raw/pipeline rounds; the best of each side counts."),
    adapter: str | None = typer.Option(None, "--adapter-vs-base", help="Also measure the base model (no adapter) and report this adapter's tokens/s against it."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the figures as JSON to this file."),
) -> None:
    """Raw vllm.LLM.generate tokens/s vs the pipeline's inference stage tokens/s, and their ratio."""
    _quiet_runtime(False)
    from flows.bench import bench_extract as run
    from flows.bench import bench_extract_adapter

    results = bench_extract_adapter(adapter, n, max_tokens, repeats) if adapter else [run(n, max_tokens, repeats)]
    for r in results:
        print(f"model={r['model']} adapter={r['adapter']} notes={r['notes']} max_tokens={r['max_tokens']}")
        print(f"raw vllm.LLM.generate : {r['raw_tokens_per_s']:8.1f} generated tokens/s ({r['raw_tokens']} tokens)")
        print(f"pipeline inference    : {r['pipeline_tokens_per_s']:8.1f} generated tokens/s ({r['pipeline_tokens']} tokens)")
        print(f"ratio pipeline/raw={r['ratio']:.3f}")
    if adapter:
        base, adapted = results
        print(f"ratio adapter/base raw tokens/s={adapted['raw_tokens_per_s'] / base['raw_tokens_per_s']:.3f} "
              f"(same prompts, schemas and budget)")
        print(f"ratio adapter/base pipeline tokens/s={adapted['pipeline_tokens_per_s'] / base['pipeline_tokens_per_s']:.3f} "
              f"(retries of truncated answers differ)")
    if json_out is not None:
        json_out.write_text(json.dumps(results[-1]))


registry_app = typer.Typer(help="Registry deliveries: profiles in deployments/registries/.")
app.add_typer(registry_app, name="registry")


@registry_app.command("extract")
def registry_extract_cmd(
    profile: str = typer.Option(..., "--profile", help="Profile name (deployments/registries/NAME.yaml) or a YAML file."),
    output: str = typer.Option(..., "--output", help="chartsift output to select from: local folder or s3://bucket/prefix."),
    delivery: str = typer.Option(..., "--delivery", help="Where packages go: local folder or s3://bucket/prefix."),
    date: str | None = typer.Option(None, "--date", help="Delivery date, YYYY-MM-DD (default: today, UTC)."),
    revision: int = typer.Option(0, "--revision", help="N > 0 supersedes revision N - 1 of the same date."),
) -> None:
    """Publish one registry delivery (a Frictionless Data Package with a data dictionary) in one
    Prefect run; a second publish of the same date and revision changes nothing."""
    _quiet_runtime(False)
    from flows.registry_extract import profile_path, registry_extract
    from transforms.registry import load_profile

    # a ChartsiftError (bad profile, key mismatch) is printed in one line by main(), with its exit
    # code; the profile is checked before Prefect starts
    load_profile(profile_path(profile))
    result = registry_extract(profile=profile, output=output, delivery=delivery, date=date, revision=revision)
    console.print(json.dumps(result))


@app.command()
def maintain(
    output: str = typer.Option("out", "--output", help="chartsift output: local folder or s3://bucket/prefix."),
    vacuum_hours: int | None = typer.Option(None, "--vacuum-hours", help="Also delete the files only versions older than this many hours need (ends --as-of to them). Default: keep every version."),
    lock_wait_s: float = typer.Option(0.0, "--lock-wait", help="Seconds to wait for a run holding the output lock."),
) -> None:
    """Compact the output's Delta tables (rows unchanged) and, with --vacuum-hours, vacuum them."""
    from flows.maintain import maintain as run_maintenance

    for table, m in run_maintenance(output, vacuum_hours, lock_wait_s).items():
        print(f"{table}: {m['files_removed']} files compacted into {m['files_added']}, {m['files_vacuumed']} vacuumed, "
              f"version {m['version']}")


@app.command("data-dictionary")
def data_dictionary_cmd() -> None:
    """Print the data dictionary of every output column (type, class, description), Markdown."""
    from transforms.catalogue import data_dictionary

    print(data_dictionary(), end="")


@app.command("prepare-model")
def prepare_model(
    name: str = typer.Option("smollm2-135m", "--name", help="smollm2-135m (default CPU model) | gemma3-270m."),
) -> None:
    """Convert a packaged GGUF to a folder vLLM loads (done automatically on first use). Use the
    name as --model (e.g. --model gemma3-270m)."""
    _quiet_runtime(False)
    from flows.engines.models import PACKAGED

    if name not in PACKAGED:
        raise typer.BadParameter(f"one of {sorted(PACKAGED)}")
    m = PACKAGED[name]()
    console.print(json.dumps({"path": m.path, "model_id": m.model_id, "revision": m.revision}))


def exit_code(exc: BaseException) -> int:
    """The documented exit codes: 2 settings refuse to start, 3 quality drift, 1 any other
    ChartsiftError."""
    from transforms.errors import ConfigError, DriftError

    return 2 if isinstance(exc, ConfigError) else 3 if isinstance(exc, DriftError) else 1


def main() -> None:
    """Every ChartsiftError a command lets through is one line and its exit code, never a traceback."""
    from transforms.errors import ChartsiftError

    try:
        app(prog_name="chartsift")
    except ChartsiftError as exc:
        console.print(f"[red]{type(exc).__name__}:[/red] {exc}")
        sys.exit(exit_code(exc))


if __name__ == "__main__":
    sys.exit(main())
