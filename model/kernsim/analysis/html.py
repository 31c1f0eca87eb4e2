"""``kernsim report``: one self-contained HTML page for a results folder.

The page holds what the folder is (experiment, manifest facts), a summary table
(mean and CI per design point for the main metrics present) and the standard
plots of :mod:`kernsim.analysis.plots` that apply to the metrics present, as PNG
images embedded in base64: the file can be mailed or archived alone.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from kernsim.analysis import plots
from kernsim.errors import KernsimError
from kernsim.stats.intervals import t_interval

MAIN_METRICS = ("throughput", "response_mean", "response_p50", "response_p95", "response_p99",
                "wait_mean", "lock_wait_mean", "availability", "blast_radius_components")
"""Metrics of the summary table, when present (else the first few numeric columns)."""

CURVES = ("throughput", "response_mean", "response_p99", "availability")
"""Metrics drawn against the swept parameter, when present."""

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;font-variant-numeric:tabular-nums}
th,td{padding:.25em .6em;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th{background:#f6f6f6}td.l,th.l{text-align:left}.scroll{overflow-x:auto}
figure{margin:1.5em 0}figure img{max-width:100%}figcaption{font-size:.85em;color:#555}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em;font-size:.9em}
dt{color:#666}
"""


def build_report(folder: str | Path, out: str | Path | None = None,
                 level: float = 0.95) -> Path:
    """Write the report of ``folder`` to ``out`` (default ``folder/report.html``); return it."""
    from kernsim.experiment.store import Store, load_results

    folder = Path(folder)
    df = load_results(folder)
    manifest = Store(folder).manifest()
    samples = _samples(folder)
    page = render_report(df, manifest, level=level, samples=samples)
    path = Path(out) if out is not None else folder / "report.html"
    if path.is_dir():
        raise KernsimError(f"--out {path}: is a folder; give the HTML file's path "
                           f"(e.g. {path / 'report.html'})")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def render_report(df: pd.DataFrame, manifest: dict | None = None, level: float = 0.95,
                  samples: pd.DataFrame | None = None) -> str:
    """The HTML page as a string."""
    manifest = manifest or {}
    name = manifest.get("name") or df.attrs.get("name") or "results"
    samples = _with_params(samples, df)
    metrics = main_metrics(df)
    table = summary_table(df, metrics, level)
    figures = "\n".join(_figure_html(title, caption, make)
                        for title, caption, make in standard_figures(df, level, samples))
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>kernsim report: {_e(name)}</title><style>{CSS}</style></head><body>\n"
            f"<h1>kernsim report: {_e(name)}</h1>\n{_facts(df, manifest)}\n"
            f"<h2>Summary: mean and {level:.0%} CI (Student t over replications)</h2>\n"
            f"<div class='scroll'>{_table_html(table, metrics)}</div>\n"
            f"<h2>Plots</h2>\n{figures}\n</body></html>\n")


def main_metrics(df: pd.DataFrame) -> list[str]:
    """The :data:`MAIN_METRICS` present with data; else the first 6 metric columns."""
    from kernsim.analysis.stats import metric_columns

    found = [m for m in MAIN_METRICS if m in df.columns and df[m].notna().any()]
    return found or metric_columns(df, _params(df))[:6]


def summary_table(df: pd.DataFrame, metrics: list[str], level: float = 0.95) -> pd.DataFrame:
    """Wide table: one row per design point, its parameters, n, and "mean [lo, hi]" per metric."""
    params = _params(df)
    rows = []
    for dp, group in df.groupby("design_point", sort=True):
        row = {"design_point": dp, **{p: group[p].iloc[0] for p in params},
               "n": len(group)}
        for metric in metrics:
            row[metric] = _mean_ci_text(*t_interval(group[metric], level))
        rows.append(row)
    return pd.DataFrame(rows)


def standard_figures(df: pd.DataFrame, level: float = 0.95,
                     samples: pd.DataFrame | None = None) -> list[tuple[str, str, Callable]]:
    """``(title, caption, make_figure)`` of every standard plot that applies to ``df``."""
    figs = []
    numeric = [p for p in _params(df) if pd.api.types.is_numeric_dtype(df[p])]
    if numeric:
        for metric in (m for m in CURVES if _has(df, m)):
            figs.append((f"{metric} against {plots.default_x(df)}",
                         (f"Mean over replications with its {level:.0%} Student-t CI band; "
                          "one line per value of the other swept parameters."),
                         _bind(plots.metric_vs_param, df, metric, level=level)))
    if samples is not None or plots.percentile_columns(df):
        how = ("empirical CDF of the per-request samples" if samples is not None else
               "step approximation from the response_pNN columns: the CDF is at least q from "
               "the mean q-percentile on, exact at the dots (a lower bound in between)")
        figs.append(("latency distribution", f"Per design point; {how}.",
                     _bind(plots.latency_ecdf, df, samples=samples, level=level)))
    if any(df[c].fillna(0).abs().max() > 0 for c in plots.cpu_columns(df)):
        figs.append(("CPU time breakdown", ("Mean share of core time per design point "
                                            "(shares that are zero everywhere are left out)."),
                     _bind(plots.cpu_breakdown, df)))
    locks = plots.lock_names(df, ("wait_mean",))
    if locks and df[[f"lock.{n}.wait_mean" for n in locks]].notna().any().any():
        stats = tuple(s for s in ("wait_mean", "wait_p99")
                      if all(f"lock.{n}.{s}" in df for n in locks))
        figs.append(("lock waits", (f"Mean over replications with {level:.0%} t-CI bars, "
                                    "replications as dots; design points without locks "
                                    "are left out."),
                     _bind(plots.lock_waits, df, stats=stats, level=level)))
    if _has(df, "blast_radius_components") and _params(df) and _integral(
            df["blast_radius_components"]):
        figs.append(("blast radius", f"PMF per design point with {level:.0%} Wilson CIs.",
                     _bind(plots.blast_radius, df, by=_params(df), level=level)))
    if _has(df, "availability") and _params(df):
        figs.append(("availability", f"Mean over replications with {level:.0%} t-CI bars.",
                     _bind(plots.availability, df, level=level)))
    return figs


def figure_png_base64(fig) -> str:
    """The figure as a PNG, base64-encoded (ASCII)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


# --- helpers --------------------------------------------------------------------------------


def _figure_html(title: str, caption: str, make: Callable) -> str:
    try:
        img = f"<img alt='{_e(title)}' src='data:image/png;base64,{figure_png_base64(make())}'>"
    except (ValueError, KeyError) as exc:  # a plot that does not apply after all: say why
        img = f"<p><em>not drawn: {_e(str(exc))}</em></p>"
    return f"<figure><h3>{_e(title)}</h3>{img}<figcaption>{_e(caption)}</figcaption></figure>"


def _facts(df: pd.DataFrame, manifest: dict) -> str:
    git = manifest.get("git") or {}
    facts = {
        "description": (manifest.get("config") or {}).get("experiment", {}).get("description"),
        "design points": df["design_point"].nunique(),
        "replications": manifest.get("replications", df["replication"].nunique()),
        "swept": ", ".join(_params(df)) or "–",
        "root seed": manifest.get("root_seed"),
        "config hash": manifest.get("config_hash"),
        "kernsim": manifest.get("version"),
        "git commit": (f"{git.get('commit')}{' (dirty)' if git.get('dirty') else ''}"
                       if git.get("commit") else None),
        "run": " → ".join(str(v) for v in (manifest.get("started"), manifest.get("ended")) if v),
        "failures": len(manifest.get("failures") or []) or None,
    }
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(str(v))}</dd>" for k, v in facts.items()
                    if v not in (None, ""))
    return f"<dl>{items}</dl>"


def _table_html(table: pd.DataFrame, metrics: list[str]) -> str:
    """Metric cells ("mean [lo, hi]") and numbers right-aligned; the design point and
    text parameters left-aligned (by what a column is, not by its pandas dtype)."""
    left = {"design_point", *[c for c in table.columns if c not in metrics
                              and not pd.api.types.is_numeric_dtype(table[c])]}
    head = "".join(f"<th class='{'l' if c in left else ''}'>{_e(str(c))}</th>"
                   for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td class='{'l' if c in left else ''}'>{_e(str(v))}</td>"
                                    for c, v in zip(table.columns, row)) + "</tr>"
                   for row in table.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _mean_ci_text(mean: float, lo: float, hi: float) -> str:
    if pd.isna(mean):
        return "–"
    if pd.isna(lo):
        return f"{mean:.4g}"
    return f"{mean:.4g} [{lo:.4g}, {hi:.4g}]"


def _samples(folder: Path) -> pd.DataFrame | None:
    """Per-request samples (``samples.parquet`` with a ``response`` column), if the run kept them."""
    path = folder / "samples.parquet"
    if not path.exists():
        return None
    samples = pd.read_parquet(path)
    return samples if {"response", "design_point"} <= set(samples.columns) else None


def _with_params(samples: pd.DataFrame | None, df: pd.DataFrame) -> pd.DataFrame | None:
    """Add the swept parameters to per-request samples (joined on design_point)."""
    missing = [p for p in _params(df) if samples is not None and p not in samples.columns]
    if not missing or "design_point" not in samples.columns:
        return samples
    points = df[["design_point", *missing]].drop_duplicates("design_point")
    return samples.merge(points, on="design_point", how="left")


def _bind(fn: Callable, *args, **kwargs) -> Callable:
    return lambda: fn(*args, **kwargs)


def _integral(values: pd.Series) -> bool:
    x = values.dropna()
    return bool(((x % 1) == 0).all())


def _has(df: pd.DataFrame, column: str) -> bool:
    return column in df.columns and bool(df[column].notna().any())


def _params(df: pd.DataFrame) -> list[str]:
    return [p for p in df.attrs.get("params", []) if p in df.columns]


def _e(text: str) -> str:
    return html.escape(text, quote=True)
