"""The ``kernsim`` command: run, validate, summarise, list and reproduce experiments.

Built on the standard library's :mod:`argparse` so that its behaviour cannot drift
with a dependency's release. Every user error (a bad option, a bad file, a bad
key) is one line on stderr and exit status 2; ``--debug`` shows the traceback.
Heavy modules are imported inside the command that needs them, so that
``kernsim --help`` and ``kernsim list`` start fast.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from kernsim import cli_bench, cli_trace
from kernsim.cli_args import Parser, UsageError
from kernsim.cli_paths import output_file, output_folder
from kernsim.cli_types import count, level
from kernsim.errors import KernsimError

out = Console(width=None if sys.stdout.isatty() else 160)  # piped output: wide tables, no wrap
err = Console(stderr=True)


# --------------------------------------------------------------------------- commands


def cmd_run(a: argparse.Namespace) -> int:
    from kernsim.cli_progress import progress_bar
    from kernsim.experiment.preflight import check_shares, preflight
    from kernsim.experiment.runner import run as run_exp

    exp = _experiment(a.file, a.set)
    if a.trace and exp.config.experiment.trace is None:  # the default trace (TraceSpec)
        exp = _experiment(a.file, [*(a.set or []), "experiment.trace={}"])
    executor = "dask" if a.scheduler else a.executor
    preflight(exp, executor, a.workers, a.allow_unstable, a.allow_long,  # before any bar
              a.scheduler)
    if not a.quiet:
        for note in check_shares(exp):
            err.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)
    with progress_bar(disable=a.quiet, console=err) as tick:
        result = run_exp(exp, out=a.out, executor=executor, workers=a.workers,
                         allow_unstable=a.allow_unstable, overwrite=a.overwrite, progress=tick,
                         scheduler=a.scheduler, allow_long=a.allow_long)
    return _report_run(result, a.quiet)


def _experiment(file: str, overrides: list[str] | None):
    from kernsim.experiment.catalog import resolve
    from kernsim.experiment.load import load

    return load(resolve(file), overrides or [])


def _report_run(result, quiet: bool) -> int:
    if result.interrupted:
        again = " ".join(shlex.quote(a) for a in ["kernsim", *sys.argv[1:]])
        err.print(f"[yellow]interrupted[/]: {result.ran} tasks finished and kept in "
                  f"{escape(str(result.out))}; to resume, run the same command again:\n  "
                  f"{escape(again)}", highlight=False, soft_wrap=True)
        return 130
    for rel, why in result.quarantined:
        err.print(f"[yellow]quarantined[/] {escape(rel)}: {escape(why)}; moved to "
                  f"{escape(str(result.out))}/quarantine/, its task ran again",
                  highlight=False, soft_wrap=True)
    if result.skipped and not quiet:
        err.print(f"resumed: {result.skipped} tasks were already done")
    if not quiet:
        _print_summary(result.out, _headline(result.out), "table")
        folder = shlex.quote(str(result.out))
        out.print(f"results: {escape(str(result.out))}\nnext: kernsim summary {escape(folder)}"
                  f"  ·  kernsim report {escape(folder)}", highlight=False, soft_wrap=True)
    if result.replications is not None:
        _report_precision(result, quiet)
    if result.failures:
        for f in result.failures:
            last = f["error"].strip().splitlines()[-1]
            err.print(f"[red]failed[/] design point {f['design_point']} replication "
                      f"{f['replication']} (seed {f['seed']}): {escape(last)}", highlight=False)
        err.print(f"{len(result.failures)} task(s) failed; details in "
                  f"{escape(str(result.out))}/manifest.json", highlight=False)
        return 1
    return 0


#: the metrics `run` prints, first those a results folder has: performance runs,
#: fault injection, the dependability mode, migration
HEADLINE = ("throughput", "response_mean", "goodput", "availability", "p_outage_given_fault",
            "p_all_nodes_given_fault", "blast_radius_nodes_mean", "migration.downtime")


def _headline(folder: Path) -> list[str] | None:
    from kernsim.experiment.store import load_results

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


def cmd_validate(a: argparse.Namespace) -> int:
    from kernsim.experiment.preflight import (
        check_long,
        check_metrics,
        check_shares,
        check_stable,
        run_length,
    )

    exp = _experiment(a.file, a.set)
    check_metrics(exp)
    if a.all_points:
        doc = [{"design_point": p.index, "params": p.params,
                "config": p.config.model_dump(mode="json")} for p in exp.points]
        sys.stdout.write(json.dumps(doc, indent=2, default=str) + "\n")
    elif a.expand:
        sys.stdout.write(json.dumps(exp.resolved(), indent=2, default=str) + "\n")
    info, advice = run_length(exp)
    for note in check_shares(exp) + info:
        err.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)
    for warning in advice:
        err.print(f"[yellow]warning[/]: {escape(warning)}", highlight=False, soft_wrap=True)
    for found, flag in ((check_stable(exp), "--allow-unstable"),
                        (check_long(exp), "--allow-long")):
        for warning in found:
            err.print(f"[yellow]warning[/]: {escape(warning)}; `run` refuses it without "
                      f"{flag}", highlight=False, soft_wrap=True)
    n = len(exp.points)
    line = (f"ok: {escape(exp.name)}: {n} design point(s) × {exp.replications} "
            f"replication(s) = {n * exp.replications} tasks")
    (err if a.expand or a.all_points else out).print(line, highlight=False, soft_wrap=True)
    return 0


def cmd_summary(a: argparse.Namespace) -> int:
    from kernsim.experiment.store import Store
    from kernsim.experiment.writerlock import shown_status

    _print_summary(a.folder, a.metric, a.format, a.level)
    status = Store(a.folder).manifest().get("status")
    if status != "complete":
        shown = shown_status(a.folder, status)
        what = ("a run is writing it now" if shown == "running" else
                "rerun `kernsim run` to finish it")
        err.print(f"note: {escape(str(a.folder))}: status {escape(shown)}: the summary covers "
                  f"the replications finished so far; {what}", highlight=False, soft_wrap=True)
    return 0


def _print_summary(folder: Path, metrics: list[str] | None, fmt: str,
                   level: float = 0.95) -> None:
    from kernsim.analysis.report import render_summary
    from kernsim.analysis.stats import summarize
    from kernsim.experiment.store import load_results

    df = load_results(folder)
    unknown = [m for m in metrics or [] if m not in df.columns]
    if unknown:
        raise KernsimError(f"--metric {unknown[0]!r}: not in the results; "
                           f"have: {', '.join(c for c in df.columns if not c.startswith('_'))}")
    table = summarize(df, metrics=metrics or None, level=level)
    rendered = render_summary(table, fmt, level)
    if isinstance(rendered, str):  # csv, markdown: verbatim, never wrapped or read as markup
        out.file.write(rendered)
        out.file.flush()
    else:
        out.print(rendered)


def cmd_list(a: argparse.Namespace) -> int:
    from kernsim.experiment.catalog import shipped

    for study, name, text in shipped():
        out.print(f"[bold]{escape(study)}[/]  {escape(name)}: {escape(text)}",
                  soft_wrap=True, highlight=False)
    return 0


def cmd_init(a: argparse.Namespace) -> int:
    from kernsim.experiment.catalog import init

    written = init(a.folder, a.study)
    for path in written:
        out.print(f"wrote {escape(str(path))}", highlight=False, soft_wrap=True)
    out.print(f"edit it, then: kernsim run {escape(shlex.quote(str(written[0])))}",
              highlight=False, soft_wrap=True)
    return 0


def cmd_bench(a: argparse.Namespace) -> int:
    return cli_bench.cmd_bench(a, out, err)


def cmd_report(a: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from kernsim.analysis.html import build_report

    path = build_report(a.folder, output_file(a.out, "--out") if a.out else None)
    out.print(f"report: {escape(str(path))}", highlight=False, soft_wrap=True)
    return 0


def cmd_sensitivity(a: argparse.Namespace) -> int:
    from kernsim.analysis.sensitivity import analyze, render, write

    folder = output_folder(a.out, "--out") if a.out else a.folder
    table = analyze(a.folder, a.metric, a.level, a.resamples, a.baseline)
    out.print(render(table))
    for path in write(table, folder):
        out.print(f"wrote {escape(str(path))}", highlight=False, soft_wrap=True)
    return 0


def cmd_trace(a: argparse.Namespace) -> int:
    path, spans = cli_trace.cmd_trace(a)
    out.print(f"trace: {escape(str(path))} ({spans} spans; open it in ui.perfetto.dev)",
              highlight=False, soft_wrap=True)
    return 0


def cmd_verify(a: argparse.Namespace) -> int:
    from kernsim.experiment.verify import verify as check

    if not (a.folder / "manifest.json").is_file():
        what = "no such folder" if not a.folder.exists() else (
            "not a folder" if not a.folder.is_dir() else "no manifest.json in it")
        raise KernsimError(f"{a.folder}: {what}; verify takes a results folder")
    verdict = check(a.folder)
    for note in verdict.notes:
        err.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)
    if verdict.ok:
        out.print(f"ok: {escape(str(a.folder))}: {verdict.tasks} tasks, each present once, "
                  "hashes match, results.parquet = compaction of the parts",
                  highlight=False, soft_wrap=True)
        return 0
    for problem in verdict.problems:
        err.print(f"[red]problem[/]: {escape(problem)}", highlight=False, soft_wrap=True)
    err.print(f"{len(verdict.problems)} problem(s) in {escape(str(a.folder))}", highlight=False)
    return 1


def cmd_reproduce(a: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from kernsim.reproduce import STUDIES, scorecard
    from kernsim.reproduce import run as run_study
    from kernsim.reproduce.study import rich_table

    if a.all == bool(a.name):
        raise KernsimError(f"reproduce: give one study NAME or --all; studies: {', '.join(STUDIES)}")
    names = STUDIES if a.all else (a.name,)
    if a.out:
        output_folder(a.out, "--out")
    console = out if out.is_terminal else Console(width=160)
    results = []
    for study in names:
        folder = (a.out / study if a.all else a.out) if a.out else None
        results.append(run_study(study, quick=a.quick, out=folder,
                                 workers=a.workers or (1 if a.quick else None)))
        console.print(rich_table(results[-1]))
        where = folder or Path("results") / "reproduce" / study
        console.print(f"report: {escape(str(where / 'report.md'))}", highlight=False, soft_wrap=True)
    top = (a.out or Path("results") / "reproduce") if a.all else None
    return scorecard.finish(results, top, console, err, a.strict)


# --------------------------------------------------------------------------- the parser


def parser() -> Parser:
    """The whole command line, one sub-parser per command."""
    top = Parser(prog="kernsim", description="kernsim: microkernel vs monolithic, as numbers "
                 "with confidence intervals.", epilog="'kernsim COMMAND --help' describes a "
                 "command. Experiments: an experiment TOML file, or the name of a shipped "
                 "study ('kernsim list').")
    top.add_argument("--version", action="version", version=_version())
    sub = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def command(name: str, func: Callable[[argparse.Namespace], int], text: str) -> Parser:
        p = sub.add_parser(name, help=text.replace("%", "%%"), description=text)
        p.set_defaults(func=func)
        p.add_argument("--debug", action="store_true", help="Show tracebacks.")
        return p

    def overrides(p: Parser) -> None:
        p.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="Override a key, e.g. --set experiment.replications=5 (repeatable).")

    p = command("run", cmd_run, "Run (or resume) every replication of an experiment into a "
                "results folder.")
    p.add_argument("file", metavar="FILE", help="Experiment TOML file, or a shipped study's name.")
    p.add_argument("--out", type=Path, help="Results folder (default: results/NAME).")
    p.add_argument("--executor", default="processes", help="serial | processes | dask "
                   "(default: processes).")
    p.add_argument("--workers", type=int, help="Worker processes (default: all cores).")
    p.add_argument("--scheduler", help="Run on the Dask cluster at this address (tcp://HOST:8786).")
    overrides(p)
    p.add_argument("--allow-unstable", action="store_true",
                   help="Run open queues with offered load ρ ≥ 1.")
    p.add_argument("--allow-long", action="store_true",
                   help="Run past the length bounds (10^8 expected requests in a replication, "
                   "10^10 in the run).")
    p.add_argument("--overwrite", action="store_true",
                   help="Replace a folder that holds another experiment.")
    p.add_argument("-q", "--quiet", action="store_true", help="No progress bar or summary.")
    p.add_argument("--trace", action="store_true", help="Trace requests (experiment.trace; "
                   "default: replication 0, 1%% of requests, first ms measured) into trace.parquet.")

    p = command("validate", cmd_validate, "Check an experiment without running it: keys, "
                "values, sweep, stability.")
    p.add_argument("file", metavar="FILE", help="Experiment TOML file, or a shipped study's name.")
    overrides(p)
    p.add_argument("--expand", action="store_true",
                   help="Print the resolved base config as JSON on stdout (the ok line goes "
                   "to stderr).")
    p.add_argument("--all-points", action="store_true",
                   help="Print a JSON list with one object per design point: its index, "
                   "swept parameters and resolved config.")

    p = command("summary", cmd_summary, "Mean and CI (Student t, 95% unless --level) per "
                "design point and metric.")
    p.add_argument("folder", metavar="FOLDER", type=Path, help="Results folder.")
    p.add_argument("--format", default="table", choices=("table", "csv", "markdown"),
                   help="table | csv | markdown (default: table).")
    p.add_argument("-m", "--metric", action="append", help="Only this metric (repeatable).")
    p.add_argument("--level", type=level, default=0.95,
                   help="Confidence level of the interval, in (0, 1) (default: 0.95).")

    command("list", cmd_list, "The shipped studies, one line each: the name to give `run`, "
            "the experiment's name and what it does.")

    p = command("init", cmd_init, "Copy a shipped study (and the files it extends) into a "
                "folder, to edit and run there.")
    p.add_argument("folder", metavar="DIR", type=Path, help="Folder to copy into.")
    p.add_argument("study", metavar="STUDY", nargs="?", default="quickstart",
                   help="Shipped study's name (default: quickstart).")

    cli_bench.arguments(command("bench", cmd_bench, cli_bench.HELP))

    p = command("report", cmd_report, "Self-contained HTML report: summary table with 95% CIs "
                "and the standard plots.")
    p.add_argument("folder", metavar="FOLDER", type=Path, help="Results folder.")
    p.add_argument("--out", type=Path, help="HTML file (default: FOLDER/report.html).")

    p = command("sensitivity", cmd_sensitivity, "First-order and total Sobol' indices, with "
                "bootstrap CIs, of a method = \"saltelli\" sweep; also as CSV and JSON.")
    p.add_argument("folder", metavar="FOLDER", type=Path, help="Results folder.")
    p.add_argument("-m", "--metric", required=True, help="The metric, e.g. throughput.")
    p.add_argument("--baseline", metavar="KEY=VALUE", help="Analyse METRIC / METRIC[KEY=VALUE] "
                   "- 1 at each sample point (KEY: a swept grid key).")
    p.add_argument("--level", type=level, default=0.95, help="CI level (default 0.95).")
    p.add_argument("--resamples", type=count(2), default=1000, help="Bootstrap resamples (default 1000).")
    p.add_argument("--out", type=Path, help="Folder for the CSV and JSON (default: FOLDER).")

    p = command("verify", cmd_verify, "Check a results folder: every task present once, "
                "sha256 of every part as the manifest recorded, results.parquet equal to the "
                "compaction of the parts.")
    p.add_argument("folder", metavar="FOLDER", type=Path, help="Results folder.")

    cli_trace.arguments(command("trace", cmd_trace, cli_trace.HELP))

    p = command("reproduce", cmd_reproduce, "Reproduce a published comparison: calibrate, "
                "predict, print published vs model.")
    p.add_argument("name", metavar="NAME", nargs="?", help="Study: haertig97, liedtke93, "
                   "boydwickizer12, baumann09, nooks_minix, nooks03.")
    p.add_argument("--all", action="store_true", help="Run every study, one after another.")
    p.add_argument("--quick", action="store_true", help="Small runs: seconds per study (tests).")
    p.add_argument("--out", type=Path, help="Results folder (default results/reproduce/NAME); "
                   "with --all, DIR/NAME and the scorecard DIR/scorecard.csv.")
    p.add_argument("--strict", action="store_true",
                   help="Exit 1 when a prediction is outside its tolerance (only predictions "
                   "are judged).")
    p.add_argument("--workers", type=count(1),
                   help="Worker processes (default: all cores; --quick: 1).")
    return top


def _version() -> str:
    from kernsim.version import __version__

    return f"kernsim {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: one clear line and exit 2 for user errors, tracebacks only with --debug.
    Returns the exit status when called from Python; the console script exits with it."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        top = parser()
        if not args:
            top.print_help()
            return _exit(0, argv)
        first = args[0].split("=")[0]
        if first.startswith("-") and first not in ("-h", "--help", "--version"):
            raise UsageError(f"kernsim: option {first} before the command; options follow "
                             f"it: kernsim COMMAND {first} …")
        ns = top.parse_args(args)
        with warnings.catch_warnings():  # one line each, as the CLI's own warnings
            warnings.showwarning = _warning_line
            code = ns.func(ns) if getattr(ns, "func", None) else (top.print_help() or 0)
    except SystemExit as exc:  # --help and --version
        code = exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        err.print("aborted")
        code = 130
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
    return _exit(code, argv)


def _warning_line(message: Warning | str, *_where: object) -> None:
    err.print(f"[yellow]warning[/]: {escape(str(message))}", highlight=False, soft_wrap=True)


def _exit(code: int, argv: Sequence[str] | None) -> int:
    if argv is None:  # the console script
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
