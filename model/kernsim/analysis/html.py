"""``kernsim report``: one self-contained HTML page for a results folder.

The page holds what the folder is (experiment, manifest facts), why the headline
curve looks as it does (:func:`kernsim.analysis.explain.headline_reason`), a
summary table (mean and CI per design point for the main metrics present), a
table of utilisation per resource and CPU shares per design point, and the
standard plots that apply to the metrics present, as PNG images embedded in
base64: the file can be mailed or archived alone. Every plot's caption starts
with one sentence, computed from the data, of what it shows.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from kernsim.analysis import explain, plots
from kernsim.analysis.latency import ecdf_plot, histograms
from kernsim.analysis.lockshare import SHARES, has_lock_waits, with_lock_shares
from kernsim.analysis.utilisation import SATURATED, bottlenecks, utilisation_plot
from kernsim.errors import KernsimError
from kernsim.stats.intervals import t_interval
from kernsim.units import label

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
dt{color:#666}p.why{background:#f6f9ff;border-left:3px solid #7aa7e6;padding:.5em .8em}
"""


def build_report(folder: str | Path, out: str | Path | None = None,
                 level: float = 0.95) -> Path:
    """Write the report of ``folder`` to ``out`` (default ``folder/report.html``); return it."""
    from kernsim.experiment.store import Store, load_results

    folder = Path(folder)
    df = load_results(folder)
    manifest = Store(folder).manifest()
    samples, hist = _samples(folder)
    page = render_report(df, manifest, level=level, samples=samples, hist=hist)
    path = Path(out) if out is not None else folder / "report.html"
    if path.is_dir():
        raise KernsimError(f"--out {path}: is a folder; give the HTML file's path "
                           f"(e.g. {path / 'report.html'})")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def render_report(df: pd.DataFrame, manifest: dict | None = None, level: float = 0.95,
                  samples: pd.DataFrame | None = None, hist: pd.DataFrame | None = None) -> str:
    """The HTML page as a string; ``hist`` holds the ``latency_histogram`` sample rows."""
    manifest = manifest or {}
    name = manifest.get("name") or df.attrs.get("name") or "results"
    samples = _with_params(samples, df)
    hist = _with_params(hist, df)
    metrics = main_metrics(df)
    table = summary_table(df, metrics, level)
    why = headline(df)
    figures = "\n".join(_figure_html(title, caption, make) for title, caption, make
                        in standard_figures(df, level, samples, hist, why))
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>kernsim report: {_e(name)}</title><style>{CSS}</style></head><body>\n"
            f"<h1>kernsim report: {_e(name)}</h1>\n{_facts(df, manifest)}\n"
            + (f"<h2>Why the headline looks as it does</h2>\n<p class='why'>{_e(why)}</p>\n"
               if why else "")
            + f"<h2>Summary: mean and {level:.0%} CI (Student t over replications)</h2>\n"
            f"<div class='scroll'>{_table_html(table, metrics)}</div>\n"
            f"{_utilisation_html(df)}"
            f"<h2>Plots</h2>\n{figures}\n</body></html>\n")


def headline(df: pd.DataFrame) -> str:
    """Why the first curve (e.g. throughput against cores) looks as it does: the resource
    that saturates along each line (""
    without a numeric swept parameter or utilisation metrics)."""
    numeric = [p for p in _params(df) if pd.api.types.is_numeric_dtype(df[p])]
    metric = next((m for m in CURVES if _has(df, m)), None)
    if not numeric or metric is None or not bottlenecks(df)["bottleneck"].notna().any():
        return ""
    x = plots.default_x(df)
    return _said(explain.headline_reason, df, metric, x, [p for p in _params(df) if p != x])


def utilisation_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per design point: its parameters, the mean utilisation of every resource
    (``util.<domain>``, ``cores_busy``), the mean ``cpu.*`` shares, the lock-wait
    shares, and the bottleneck (the busiest resource, marked when saturated)."""
    table = bottlenecks(df)
    params = _params(df)
    shares = with_lock_shares(df)
    extra = [c for c in (*plots.cpu_columns(df), *SHARES) if c in shares.columns
             and shares[c].notna().any()]
    means = shares.groupby("design_point", sort=True)[extra].mean().reset_index(drop=True)
    table = pd.concat([table.drop(columns=["peak", "saturated", "bottleneck"]), means,
                       table[["bottleneck", "saturated"]]], axis=1)
    table["bottleneck"] = [f"{b} (saturated)" if s else (b or "–")
                           for b, s in zip(table["bottleneck"], table["saturated"])]
    table = table.drop(columns="saturated")
    for col in table.columns:
        if col not in ("design_point", "bottleneck", *params):
            table[col] = table[col].map(lambda v: "–" if pd.isna(v) else f"{v:.3f}")
    return table.rename(columns={c: label(c) for c in table.columns
                                 if c not in ("design_point", "bottleneck", *params)})


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
                     samples: pd.DataFrame | None = None, hist: pd.DataFrame | None = None,
                     why: str | None = None) -> list[tuple[str, str, Callable]]:
    """``(title, caption, make_figure)`` of every standard plot that applies to ``df``;
    each caption starts with what the plot shows (a sentence computed from the data)
    and the headline's also says why."""
    figs = []
    params = _params(df)
    numeric = [p for p in params if pd.api.types.is_numeric_dtype(df[p])]
    x = plots.default_x(df) if numeric else None
    hue = [p for p in params if p != x]
    if numeric:
        for i, metric in enumerate(m for m in CURVES if _has(df, m)):
            said = (headline(df) if why is None else why) if i == 0 else ""
            figs.append((f"{metric} against {x}",
                         _caption(_said(explain.extremes, df, metric, params),
                                  f"Why: {said}" if said else "",
                                  f"Mean over replications with its {level:.0%} Student-t CI "
                                  "band; one line per value of the other swept parameters."),
                         _bind(plots.metric_vs_param, df, metric, level=level)))
        if bottlenecks(df)["bottleneck"].notna().any():
            figs.append((f"utilisation against {x}",
                         _caption(_said(explain.utilisation_sentence, df, params),
                                  "Mean busy fraction over replications of every server domain "
                                  "(util.<domain>) and of the cores (cores_busy = 1 − cpu.idle − "
                                  f"cpu.sleep); dotted: the saturation level {SATURATED}."),
                         _bind(utilisation_plot, df, x, hue)))
        shares = with_lock_shares(df)
        if has_lock_waits(shares):
            for share in (s for s in SHARES if _has(shares, s)):
                figs.append((f"{share} against {x}",
                             _caption(_said(explain.lock_share_sentence, df, params, share),
                                      _SHARE_TEXT[share],
                                      f"Mean with its {level:.0%} Student-t CI band."),
                             _bind(plots.metric_vs_param, shares, share, level=level)))
    if samples is not None:
        figs.append(("latency distribution",
                     "Per design point; empirical CDF of the per-request samples.",
                     _bind(plots.latency_ecdf, df, samples=samples, level=level)))
    elif hist is not None and len(hist):
        figs.append(("latency distribution",
                     _caption(_said(explain.latency_sentence, hist, params),
                              "Per design point, the response-time histograms of its "
                              "replications pooled (buckets ≈ 1% wide, counted over the "
                              "measured window); the ECDF is exact at the bucket edges."),
                     _bind(ecdf_plot, hist, hue=hue[0] if hue else None, style=x)))
    elif plots.percentile_columns(df):
        figs.append(("latency distribution",
                     ("Per design point; step approximation from the response_pNN columns: "
                      "the CDF is at least q from the mean q-percentile on, exact at the dots "
                      "(a lower bound in between)."),
                     _bind(plots.latency_ecdf, df, samples=None, level=level)))
    if any(df[c].fillna(0).abs().max() > 0 for c in plots.cpu_columns(df)):
        figs.append(("CPU time breakdown",
                     _caption(_said(explain.cpu_sentence, df, params),
                              "Mean share of core time per design point (shares that are "
                              "zero everywhere are left out)."),
                     _bind(plots.cpu_breakdown, df)))
    locks = plots.lock_names(df, ("wait_mean",))
    if locks and df[[f"lock.{n}.wait_mean" for n in locks]].notna().any().any():
        stats = tuple(s for s in ("wait_mean", "wait_p99")
                      if all(f"lock.{n}.{s}" in df for n in locks))
        figs.append(("lock waits",
                     _caption(_said(explain.lock_wait_sentence, df, locks, params),
                              f"Mean over replications with {level:.0%} t-CI bars, "
                              "replications as dots; design points without locks are left out."),
                     _bind(plots.lock_waits, df, stats=stats, level=level)))
    if _has(df, "blast_radius_components") and params and _integral(
            df["blast_radius_components"]):
        figs.append(("blast radius",
                     _caption(_said(explain.extremes, df, "blast_radius_components", params),
                              f"PMF per design point with {level:.0%} Wilson CIs."),
                     _bind(plots.blast_radius, df, by=params, level=level)))
    if _has(df, "availability") and params:
        figs.append(("availability",
                     _caption(_said(explain.extremes, df, "availability", params),
                              f"Mean over replications with {level:.0%} t-CI bars."),
                     _bind(plots.availability, df, level=level)))
    return figs


_SHARE_TEXT = {
    "lock_wait_share": ("lock_wait_share = lock_wait_mean / response_mean: the share of the "
                        "response time of the requests completed in the window spent "
                        "waiting for locks."),
    "lock_core_share": ("lock_core_share = cpu.spin + cpu.sleep: the share of core time spent "
                        "spinning on locks or idle while threads sleep on them."),
}


def figure_png_base64(fig) -> str:
    """The figure as a PNG, base64-encoded (ASCII)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


# --- helpers --------------------------------------------------------------------------------


def _caption(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _said(fn: Callable[..., str], *args) -> str:
    """A data sentence, or "" when the data do not allow one: every value missing
    (``idxmax`` of nothing: ValueError), a column the run did not write (KeyError), no
    bucket reaching a quantile (IndexError). Any other error is a bug and propagates."""
    try:
        return fn(*args)
    except (ValueError, KeyError, IndexError):
        return ""


def _utilisation_html(df: pd.DataFrame) -> str:
    """The utilisation section: per design point, resources, CPU and lock shares."""
    if not bottlenecks(df)["bottleneck"].notna().any():
        return ""
    table = utilisation_table(df)
    numbers = [c for c in table.columns if c not in ("design_point", "bottleneck", *_params(df))]
    sentence = _said(explain.utilisation_sentence, df, _params(df))
    return ("<h2>Utilisation: where the time goes (means over replications)</h2>\n"
            f"<p>{_e(sentence)} A resource is saturated at a mean utilisation ≥ {SATURATED}; "
            "cores_busy = 1 − cpu.idle − cpu.sleep; lock_wait_share = lock_wait_mean / "
            "response_mean, lock_core_share = cpu.spin + cpu.sleep.</p>\n"
            f"<div class='scroll'>{_table_html(table, numbers)}</div>\n")


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


def _samples(folder: Path) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """``samples.parquet`` read once: the per-request samples (rows with a ``response``
    column), and the ``latency_histogram`` rows; None for what the run did not keep."""
    path = folder / "samples.parquet"
    if not path.exists():
        return None, None
    rows = pd.read_parquet(path)
    samples = rows if {"response", "design_point"} <= set(rows.columns) else None
    hist = histograms(rows)
    return samples, hist if len(hist) else None


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
