"""The ``kernsim`` command: run, validate, summarise and list experiments."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import click
import typer
from rich.console import Console
from rich.markup import escape

from model.errors import KernsimError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="kernsim: microkernel vs monolithic, as numbers with confidence intervals.")
out = Console(width=None if sys.stdout.isatty() else 160)  # piped output: wide tables, no wrap
err = Console(stderr=True)

SetOpt = typer.Option(None, "--set", help="Override a key: --set experiment.replications=5")
Debug = typer.Option(False, "--debug", help="Show tracebacks.")


def _experiment(file: Path, overrides: list[str] | None):
    from model.experiment.load import load

    return load(file, overrides or [])


@app.command()
def run(
    file: Path = typer.Argument(..., help="Experiment TOML file."),
    out_dir: Path | None = typer.Option(None, "--out", help="Results folder [results/NAME]."),
    executor: str = typer.Option("processes", help="serial | processes | dask"),
    workers: int | None = typer.Option(None, help="Worker processes [all cores]."),
    scheduler: str | None = typer.Option(
        None, help="Run on the Dask cluster at this address (tcp://HOST:8786)."),
    overrides: list[str] | None = SetOpt,
    allow_unstable: bool = typer.Option(False, help="Run open queues with offered load ρ ≥ 1."),
    overwrite: bool = typer.Option(False, help="Replace a folder that holds another experiment."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    debug: bool = Debug,
) -> None:
    """Run (or resume) every replication of FILE into a results folder."""
    from model.experiment.runner import preflight
    from model.experiment.runner import run as run_exp

    exp = _experiment(file, overrides)
    executor = "dask" if scheduler else executor
    preflight(exp, executor, workers, allow_unstable)  # refuse before drawing a progress bar
    with _progress(quiet) as tick:
        result = run_exp(exp, out=out_dir, executor=executor, workers=workers,
                         allow_unstable=allow_unstable, overwrite=overwrite, progress=tick,
                         scheduler=scheduler)
    _report(result, exp, quiet)


def _progress(quiet: bool):
    from model.cli_progress import progress_bar

    return progress_bar(disable=quiet, console=err)


def _report(result, exp, quiet: bool) -> None:
    if result.interrupted:
        import shlex

        again = " ".join(shlex.quote(a) for a in ["kernsim", *sys.argv[1:]])
        err.print(f"[yellow]interrupted[/]: {result.ran} tasks finished and kept in "
                  f"{escape(str(result.out))}; to resume, run the same command again:\n  "
                  f"{escape(again)}", highlight=False, soft_wrap=True)
        raise typer.Exit(130)
    if result.skipped and not quiet:
        err.print(f"resumed: {result.skipped} tasks were already done")
    if not quiet:
        _print_summary(result.out, _headline(result.out), "table")
        out.print(f"results: {result.out}")
    if result.replications is not None:
        _report_precision(result, quiet)
    if result.failures:
        for f in result.failures:
            last = f["error"].strip().splitlines()[-1]
            err.print(f"[red]failed[/] design point {f['design_point']} replication "
                      f"{f['replication']} (seed {f['seed']}): {last}")
        err.print(f"{len(result.failures)} task(s) failed; details in {result.out}/manifest.json")
        raise typer.Exit(1)


#: the metrics `run` prints, first those a results folder has: performance runs,
#: fault injection, the dependability mode, migration
HEADLINE = ("throughput", "response_mean", "goodput", "availability", "p_outage_given_fault",
            "p_all_nodes_given_fault", "blast_radius_nodes_mean", "migration.downtime")


def _headline(folder: Path) -> list[str]:
    from model.experiment.store import load_results

    columns = set(load_results(folder).columns)
    return [m for m in HEADLINE if m in columns][:3] or None


#: at most this many "precision not met" warnings; the rest are in the manifest
UNMET_LINES = 20


def _report_precision(result, quiet: bool) -> None:
    """Sequential replications: the counts, and a warning per point that missed."""
    counts = sorted(result.replications.values())
    span = f"{counts[0]}" if counts[0] == counts[-1] else f"{counts[0]}–{counts[-1]}"
    if not quiet:
        err.print(f"sequential replications: {len(counts)} design point(s), {span} "
                  f"replications each, {sum(counts)} in all", highlight=False, soft_wrap=True)
    for miss in result.unmet[:UNMET_LINES]:
        where = ", ".join(f"{k}={v}" for k, v in miss["params"].items())
        rel = miss["relative_half_width"]
        err.print(f"[yellow]warning[/]: design point {miss['design_point']}"
                  f"{f' ({escape(where)})' if where else ''}: precision not met at "
                  f"max_replications = {miss['replications']}: {escape(miss['metric'])} "
                  f"half-width is {'n/a' if rel is None else f'{rel:.3g}'} of the mean, "
                  f"target {miss['target']:g}", highlight=False, soft_wrap=True)
    if len(result.unmet) > UNMET_LINES:
        err.print(f"… and {len(result.unmet) - UNMET_LINES} more: precision_unmet in "
                  f"{escape(str(result.out))}/manifest.json", highlight=False)


@app.command()
def validate(
    file: Path = typer.Argument(..., help="Experiment TOML file."),
    overrides: list[str] | None = SetOpt,
    expand: bool = typer.Option(False, "--expand", help="Print the resolved config as JSON."),
    debug: bool = Debug,
) -> None:
    """Check FILE without running it: keys, values, sweep, stability."""
    from model.experiment.runner import check_stable

    exp = _experiment(file, overrides)
    if expand:
        out.print_json(json.dumps(exp.resolved()))
    for warning in check_stable(exp):
        err.print(f"[yellow]warning[/]: {escape(warning)}; `run` refuses it without "
                  "--allow-unstable", highlight=False, soft_wrap=True)
    n = len(exp.points)
    out.print(f"ok: {exp.name}: {n} design point(s) × {exp.replications} replication(s) "
              f"= {n * exp.replications} tasks")


@app.command()
def summary(
    folder: Path = typer.Argument(..., help="Results folder."),
    fmt: str = typer.Option("table", "--format", help="table | csv | markdown"),
    metric: list[str] | None = typer.Option(None, "--metric", "-m", help="Only these metrics."),
    debug: bool = Debug,
) -> None:
    """Mean and 95% CI (Student t) per design point and metric."""
    if fmt not in ("table", "csv", "markdown"):
        raise KernsimError(f"--format {fmt!r}: allowed: table, csv, markdown")
    _print_summary(folder, metric, fmt)


def _print_summary(folder: Path, metrics: list[str] | None, fmt: str) -> None:
    from model.analysis.report import render_summary
    from model.analysis.stats import summarize
    from model.experiment.store import load_results

    df = load_results(folder)
    unknown = [m for m in metrics or [] if m not in df.columns]
    if unknown:
        raise KernsimError(f"--metric {unknown[0]!r}: not in the results; "
                           f"have: {', '.join(c for c in df.columns if not c.startswith('_'))}")
    table = summarize(df, metrics=metrics or None)
    rendered = render_summary(table, fmt)
    if isinstance(rendered, str):  # csv, markdown: verbatim, never wrapped or read as markup
        out.file.write(rendered)
        out.file.flush()
    else:
        out.print(rendered)


@app.command("list")
def list_experiments() -> None:
    """The shipped experiment files, one line each."""
    from model.experiment.catalog import shipped

    for path, name, text in shipped():
        out.print(f"[bold]{escape(path)}[/]  {escape(name)}: {escape(text)}", soft_wrap=True)


@app.command()
def bench(
    customers: int | None = typer.Option(
        None, min=1, help="M/M/4 customers per run [200000; --quick: 20000]."),
    repeat: int | None = typer.Option(
        None, min=1, help="Timed runs per row; median and best are reported [3; --quick: 1]."),
    reps: int | None = typer.Option(
        None, min=2, help="Replications behind the M/M/c mean-wait CIs [5]."),
    events: int | None = typer.Option(
        None, "--events", min=1, help="Bare SimPy loop timeouts [1000000; --quick: 100000]."),
    seed: int = typer.Option(2026, min=0, help="Root seed of the M/M/c replications."),
    memory: bool = typer.Option(True, "--memory/--no-memory",
                                help="Measure peak memory (tracemalloc, in a separate run)."),
    quick: bool = typer.Option(False, "--quick", help="Small, fast version (smoke test)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON dict instead of the table."),
    save: Path | None = typer.Option(None, "--save", help="Also write the JSON dict to a file."),
    sweep: bool = typer.Option(False, "--sweep", help="Instead: speed-up of processes and "
                               "dask over serial, 64 tasks of ≈1 s [--quick: 16 of ≈0.25 s]."),
    debug: bool = Debug,
) -> None:
    """Speed of kernsim against bare SimPy, hand-written SimPy and Ciw (one process, one run)."""
    from model.bench import BenchOptions, render_table, run_bench, to_json

    if sweep:
        _bench_sweep(quick, as_json, save)
        return
    given = {k: v for k, v in {"customers": customers, "repeat": repeat, "reps": reps,
                               "bare_events": events}.items() if v is not None}
    base = BenchOptions.quick() if quick else BenchOptions()
    options = BenchOptions(**{**vars(base), **given, "seed": seed, "memory": memory})
    result = run_bench(options, progress=lambda text: err.print(text, style="dim"))
    if save:
        save.write_text(to_json(result) + "\n", encoding="utf-8")
    if as_json:
        sys.stdout.write(to_json(result) + "\n")
    else:
        console = out if out.is_terminal else Console(width=170)
        console.print(render_table(result))


def _bench_sweep(quick: bool, as_json: bool, save: Path | None) -> None:
    from model.bench import to_json
    from model.bench_sweep import SweepOptions, render, run_sweep_bench

    options = SweepOptions.quick() if quick else SweepOptions()
    result = run_sweep_bench(options, progress=lambda text: err.print(text, style="dim"))
    if save:
        save.write_text(to_json(result) + "\n", encoding="utf-8")
    sys.stdout.write((to_json(result) if as_json else render(result)) + "\n")


@app.command()
def report(
    folder: Path = typer.Argument(..., help="Results folder."),
    out_file: Path | None = typer.Option(None, "--out", help="HTML file [FOLDER/report.html]."),
    debug: bool = Debug,
) -> None:
    """Self-contained HTML report: summary table with 95% CIs and the standard plots."""
    import matplotlib

    matplotlib.use("Agg")
    from model.analysis.html import build_report

    path = build_report(folder, out_file)
    out.print(f"report: {escape(str(path))}", highlight=False, soft_wrap=True)


@app.command()
def verify(
    folder: Path = typer.Argument(..., help="Results folder."),
    debug: bool = Debug,
) -> None:
    """Check a results folder: every task present once, sha256 of every part as the
    manifest recorded, results.parquet equal to the compaction of the parts."""
    from model.experiment.verify import verify as check

    verdict = check(folder)
    for note in verdict.notes:
        err.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)
    if verdict.ok:
        out.print(f"ok: {escape(str(folder))}: {verdict.tasks} tasks, each present once, "
                  "hashes match, results.parquet = compaction of the parts",
                  highlight=False, soft_wrap=True)
        return
    for problem in verdict.problems:
        err.print(f"[red]problem[/]: {escape(problem)}", highlight=False, soft_wrap=True)
    err.print(f"{len(verdict.problems)} problem(s) in {escape(str(folder))}", highlight=False)
    raise typer.Exit(1)


@app.command("reproduce")
def reproduce_cmd(
    name: str | None = typer.Argument(
        None, help="Study: haertig97, liedtke93, boydwickizer12, baumann09, nooks_minix."),
    all_studies: bool = typer.Option(False, "--all", help="Run every study, one after another."),
    quick: bool = typer.Option(False, "--quick", help="Small runs: seconds per study (tests)."),
    out_dir: Path | None = typer.Option(
        None, "--out", help="Results folder (default results/reproduce/NAME); with --all, DIR/NAME."),
    strict: bool = typer.Option(False, "--strict",
                                help="Exit 1 when a prediction or check is outside its tolerance."),
    workers: int | None = typer.Option(
        None, min=1, help="Worker processes (default: all cores; --quick: 1)."),
    debug: bool = Debug,
) -> None:
    """Reproduce a published comparison: calibrate, predict, print published vs model."""
    import matplotlib

    matplotlib.use("Agg")
    from model.reproduce import STUDIES
    from model.reproduce import run as run_study
    from model.reproduce.compare import outside
    from model.reproduce.study import rich_table

    if all_studies == bool(name):
        raise KernsimError(f"reproduce: give one study NAME or --all; studies: {', '.join(STUDIES)}")
    names = STUDIES if all_studies else (name,)
    console = out if out.is_terminal else Console(width=160)
    missed = 0
    for study in names:
        folder = (out_dir / study if all_studies else out_dir) if out_dir else None
        result = run_study(study, quick=quick, out=folder, workers=workers or (1 if quick else None))
        console.print(rich_table(result))
        for row in outside(result.rows):
            err.print(f"[yellow]outside tolerance[/]: {escape(row.quantity)} ({escape(row.system)}):"
                      f" published {row.published:.4g}, model {row.mean:.4g}", highlight=False)
        missed += len(outside(result.rows))
        where = folder or Path("results") / "reproduce" / study
        console.print(f"report: {escape(str(where / 'report.md'))}", highlight=False, soft_wrap=True)
    if strict and missed:
        err.print(f"--strict: {missed} value(s) outside their tolerance")
        raise typer.Exit(1)


def main() -> None:
    """Entry point: one clear line and exit 2 for user errors, tracebacks only with --debug."""
    debug = "--debug" in sys.argv
    try:
        code = app(standalone_mode=False)
    except click.exceptions.Abort:
        err.print("aborted")
        code = 130
    except click.exceptions.ClickException as exc:
        exc.show()
        code = 2
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except KernsimError as exc:
        if debug:
            traceback.print_exc()
        err.print(f"[red]error[/]: {escape(str(exc))}", highlight=False, soft_wrap=True)
        code = 2
    except Exception as exc:
        if debug:
            raise
        err.print(f"[red]error[/]: {type(exc).__name__}: {escape(str(exc))} "
                  "(rerun with --debug for the traceback)", highlight=False, soft_wrap=True)
        code = 2
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
