"""Output analysis of results frames: CIs, warm-up, comparisons, quantiles, plots, reports.

Every name below is importable from here (its module is imported on first use,
so ``import kernsim.analysis`` stays cheap); the estimators on plain arrays live
in :mod:`kernsim.stats`:

- ``kernsim.stats.intervals``: ``t_interval``, ``batch_means``, ``wilson``, ``clopper_pearson``
- ``kernsim.stats.warmup``: ``mser5``, ``truncate``
- ``kernsim.stats.quantiles``: ``quantile_ci`` (order statistics), ``quantile_ci_bootstrap``
- ``stats``: ``summarize`` (a results frame per design point and metric)
- ``compare``: ``paired_difference``, ``paired_differences``, ``independent_difference``,
  ``variance_reduction``
- ``failures``: ``blast_radius_pmf`` (PMF and ECDF with CIs), ``outage_fraction``
- ``sensitivity``: ``sobol_indices`` (first-order and total Sobol' indices of a
  Saltelli sweep, bootstrap CIs; ``kernsim sensitivity``); in the module, ``analyze``
  of a results folder and ``sample_values`` (what the indices apportion)
- ``plots``: ``metric_vs_param``, ``latency_ecdf``, ``cpu_breakdown``, ``lock_waits``,
  ``blast_radius``, ``availability``, ``published_overlay``, ``warmup``, ``sensitivity``,
  ``timeseries``
- ``timeseries``: ``load_series`` (series.parquet), ``load_pilots`` (warmup.parquet)
- ``latency``: ``pooled_ecdf`` (the response-time ECDF per design point from the
  ``latency_histogram`` samples), ``ecdf_plot``
- ``utilisation``: ``bottlenecks`` (the busiest resource per design point, saturated or not)
- ``lockshare``: ``with_lock_shares`` (``lock_wait_share``, ``lock_core_share``)
- ``explain``: the data sentences of the report (``headline_reason``)
- ``html``: ``build_report`` (``kernsim report``)
- ``perfetto``: ``load_trace`` (``trace.parquet``), ``chrome_trace`` (``kernsim trace``)
"""

from importlib import import_module

_HOME = {
    "t_interval": "kernsim.stats.intervals", "batch_means": "kernsim.stats.intervals",
    "proportion_ci": "kernsim.stats.intervals", "wilson": "kernsim.stats.intervals",
    "clopper_pearson": "kernsim.stats.intervals", "summarize": "kernsim.analysis.stats",
    "mser5": "kernsim.stats.warmup", "truncate": "kernsim.stats.warmup",
    "paired_difference": "kernsim.analysis.compare",
    "paired_differences": "kernsim.analysis.compare",
    "independent_difference": "kernsim.analysis.compare",
    "variance_reduction": "kernsim.analysis.compare",
    "quantile_ci": "kernsim.stats.quantiles", "quantile_ci_bootstrap": "kernsim.stats.quantiles",
    "blast_radius_pmf": "kernsim.analysis.failures",
    "outage_fraction": "kernsim.analysis.failures",
    "build_report": "kernsim.analysis.html",
    "sobol_indices": "kernsim.analysis.sensitivity",
    "load_trace": "kernsim.analysis.perfetto", "chrome_trace": "kernsim.analysis.perfetto",
    "load_series": "kernsim.analysis.timeseries", "load_pilots": "kernsim.analysis.timeseries",
    "pooled_ecdf": "kernsim.analysis.latency",
    "bottlenecks": "kernsim.analysis.utilisation",
    "with_lock_shares": "kernsim.analysis.lockshare",
    "headline_reason": "kernsim.analysis.explain",
}

__all__ = list(_HOME)


def __getattr__(name: str):
    """``kernsim.analysis.mser5`` etc.: import the submodule that defines it on first use."""
    if name in _HOME:
        return getattr(import_module(_HOME[name]), name)
    raise AttributeError(f"module 'kernsim.analysis' has no attribute {name!r}")
