"""Output analysis of results frames: CIs, warm-up, comparisons, quantiles, plots, reports.

Submodules (imported on first use, so ``import kernsim.analysis`` stays cheap):

- ``stats``: ``t_interval``, ``summarize``, ``batch_means``, ``wilson``, ``clopper_pearson``
- ``warmup``: ``mser5``, ``truncate``
- ``compare``: ``paired_difference``, ``paired_differences``, ``independent_difference``,
  ``variance_reduction``
- ``quantiles``: ``quantile_ci`` (order statistics), ``quantile_ci_bootstrap``
- ``failures``: ``blast_radius_pmf`` (PMF and ECDF with CIs), ``outage_fraction``
- ``plots``: ``metric_vs_param``, ``latency_ecdf``, ``cpu_breakdown``, ``lock_waits``,
  ``blast_radius``, ``availability``, ``published_overlay``, ``warmup``
- ``html``: ``build_report`` (``kernsim report``)
"""

from importlib import import_module

_HOME = {
    "t_interval": "stats", "summarize": "stats", "batch_means": "stats",
    "proportion_ci": "stats", "wilson": "stats", "clopper_pearson": "stats",
    "mser5": "warmup", "truncate": "warmup",
    "paired_difference": "compare", "paired_differences": "compare",
    "independent_difference": "compare", "variance_reduction": "compare",
    "quantile_ci": "quantiles", "quantile_ci_bootstrap": "quantiles",
    "blast_radius_pmf": "failures", "outage_fraction": "failures",
    "build_report": "html",
}

__all__ = list(_HOME)


def __getattr__(name: str):
    """``kernsim.analysis.mser5`` etc.: import the submodule that defines it on first use."""
    if name in _HOME:
        return getattr(import_module(f"kernsim.analysis.{_HOME[name]}"), name)
    raise AttributeError(f"module 'kernsim.analysis' has no attribute {name!r}")
