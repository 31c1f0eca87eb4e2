"""Fit the engine's distribution families to data: maximum likelihood, AIC, KS.

:func:`fit` tries exponential, gamma, lognormal, weibull, normal (truncated at
0, as the engine's ``normal`` is) and uniform; each by maximum likelihood with
the location fixed at 0 (durations start at 0). The family with the smallest
AIC = 2k − 2 log L wins. The report gives, per family, the parameters in the
engine's own terms (what an experiment file would say), their Wald 95% CIs
from the observed information (numerical Hessian of log L in those terms),
AIC, ΔAIC and the Kolmogorov–Smirnov statistic and p-value against the fitted
distribution. The p-values use parameters estimated from the same data, so
they are too large (conservative, Lilliefors): a small one rejects the family,
a large one does not prove it.

In an experiment file: ``{ dist = "fit", file = "data/x.csv", column = "us" }``
(see :func:`from_config_params`); ``dist.fit_report`` holds the report.
"""

from __future__ import annotations

import math
import pathlib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from kernsim.engine.dists import (
    DistError,
    Distribution,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
    Normal,
    Uniform,
    Weibull,
)

FAMILIES = ("exponential", "gamma", "lognormal", "weibull", "normal", "uniform")
"""The families :func:`fit` tries, in this order (ties in AIC go to the earlier)."""

MIN_SAMPLES = 5


@dataclass(frozen=True)
class Candidate:
    """One fitted family: engine parameters, their CIs, likelihood, AIC and KS."""

    family: str
    params: dict[str, float]
    ci: dict[str, tuple[float, float]]
    loglik: float
    k: int
    aic: float
    ks_stat: float
    ks_pvalue: float
    dist: Distribution = field(repr=False)
    delta_aic: float = 0.0


@dataclass(frozen=True)
class FitReport:
    """All candidates, best (smallest AIC) first; ``skipped`` maps family -> reason."""

    n: int
    candidates: list[Candidate]
    skipped: dict[str, str] = field(default_factory=dict)
    level: float = 0.95

    @property
    def best(self) -> Candidate:
        return self.candidates[0]

    def __getitem__(self, family: str) -> Candidate:
        for cand in self.candidates:
            if cand.family == family:
                return cand
        raise KeyError(f"{family!r}: not fitted; fitted: {', '.join(self.families())}")

    def families(self) -> list[str]:
        return [c.family for c in self.candidates]

    def to_frame(self):
        """One row per family: params (as text), AIC, ΔAIC, KS statistic and p-value."""
        import pandas as pd

        return pd.DataFrame([{"family": c.family, "params": _params_text(c), "loglik": c.loglik,
                              "k": c.k, "aic": c.aic, "delta_aic": c.delta_aic,
                              "ks_stat": c.ks_stat, "ks_pvalue": c.ks_pvalue}
                             for c in self.candidates])

    def __str__(self) -> str:
        lines = [(f"fit of {self.n} samples: best by AIC is {self.best.family} "
                  f"({_params_text(self.best, ci=True)})"),
                 f"{'family':<12}{'ΔAIC':>10}{'KS D':>9}{'KS p':>10}  parameters"]
        for c in self.candidates:
            lines.append(f"{c.family:<12}{c.delta_aic:>10.1f}{c.ks_stat:>9.4f}"
                         f"{c.ks_pvalue:>10.3g}  {_params_text(c)}")
        lines += [f"{name:<12}skipped: {why}" for name, why in self.skipped.items()]
        return "\n".join(lines)


def fit(samples, families: Sequence[str] = FAMILIES,
        level: float = 0.95) -> tuple[Distribution, FitReport]:
    """Fit every family to ``samples`` (µs, >= 0) and return the AIC-best engine distribution."""
    x = _check_samples(samples)
    unknown = [f for f in families if f not in FITTERS]
    if unknown or not families:
        raise DistError(f"families: got {list(families)!r}; allowed: {', '.join(FAMILIES)}")
    candidates, skipped = [], {}
    for family in families:
        reason = _unsuitable(family, x)
        if reason:
            skipped[family] = reason
            continue
        candidates.append(_candidate(family, x, level))
    if not candidates:
        raise DistError(f"fit: no family applies to these samples ({skipped})")
    candidates.sort(key=lambda c: c.aic)  # stable: ties keep the FAMILIES order
    best_aic = candidates[0].aic
    ranked = [_with(c, delta_aic=c.aic - best_aic) for c in candidates]
    report = FitReport(n=len(x), candidates=ranked, skipped=skipped, level=level)
    return report.best.dist, report


def fit_file(path: str | pathlib.Path, column: str | None = None,
             families: Sequence[str] = FAMILIES) -> tuple[Distribution, FitReport]:
    """:func:`fit` to a CSV column (default: the first numeric one), as ``empirical`` reads it."""
    return fit(Empirical.from_csv(path, column).values, families)


def from_config_params(params: dict[str, Any],
                       base_dir: pathlib.Path | None) -> Distribution:
    """Build ``{dist = "fit", file | values, column?, families?}``; warn if KS rejects the best.

    ``file`` is relative to ``base_dir`` (the working folder if None), as for
    ``empirical``. The report is attached as ``dist.fit_report``.
    """
    allowed = ("file", "values", "column", "families")
    for key in params:
        if key not in allowed:
            raise DistError(f"{key}: unknown key for fit; allowed: {', '.join(allowed)}")
    if ("file" in params) == ("values" in params):
        raise DistError("fit: give exactly one of 'file' or 'values'")
    families = params.get("families", FAMILIES)
    if isinstance(families, str) or not isinstance(families, Sequence):
        raise DistError(f"families: got {families!r}; must be a list of family names")
    source = params.get("file")
    if source is not None:
        values = _read_values(pathlib.Path(base_dir or ".") / source, params.get("column"))
    else:
        values = params["values"]
    dist, report = fit(values, families)
    if report.best.ks_pvalue < 0.01:
        warnings.warn(f"fit: the best family ({report.best.family}) is rejected by KS "
                      f"(p = {report.best.ks_pvalue:.2g}); consider dist = 'empirical'",
                      RuntimeWarning, stacklevel=3)
    dist.fit_report = report
    return dist


# --- one candidate --------------------------------------------------------------------------


def _candidate(family: str, x: np.ndarray, level: float) -> Candidate:
    estimate, loglik_fn, frozen, build = FITTERS[family]
    params = estimate(x)
    loglik = float(loglik_fn(x, **params))
    ks = _ks(x, frozen(**params).cdf)
    ci = _wald_ci(lambda **p: loglik_fn(x, **p), params, level,
                  regular=family != "uniform")
    k = len(params)
    return Candidate(family=family, params=params, ci=ci, loglik=loglik, k=k,
                     aic=2 * k - 2 * loglik, ks_stat=ks[0], ks_pvalue=ks[1],
                     dist=build(**params))


def _ks(x: np.ndarray, cdf: Callable) -> tuple[float, float]:
    from scipy.stats import kstest

    res = kstest(x, cdf)
    return float(res.statistic), float(res.pvalue)


def _wald_ci(loglik: Callable, params: dict[str, float], level: float,
             regular: bool = True) -> dict[str, tuple[float, float]]:
    """theta ± z · SE, SE from the inverse of the numerical observed information."""
    names = list(params)
    if not regular:  # the uniform's MLE sits on the support's edge: no Wald CI
        return {n: (math.nan, math.nan) for n in names}
    from scipy.special import ndtri

    theta = np.array([params[n] for n in names], dtype=float)
    hess = _hessian(lambda t: loglik(**dict(zip(names, t))), theta)
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        return {n: (math.nan, math.nan) for n in names}
    se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    z = float(ndtri(0.5 + level / 2))
    return {n: (float(t - z * s), float(t + z * s)) for n, t, s in zip(names, theta, se)}


def _hessian(f: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    """Central-difference Hessian with relative steps."""
    k = len(theta)
    h = 1e-4 * np.maximum(np.abs(theta), 1e-8)
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
            val = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej)
                   + f(theta - ei - ej)) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = val
    return hess


# --- families: estimate (MLE in engine terms), log-likelihood, scipy frozen, engine class ----


def _fit_exponential(x):
    return {"mean": float(x.mean())}


def _ll_exponential(x, mean):
    return -len(x) * math.log(mean) - x.sum() / mean if mean > 0 else -math.inf


def _sp_exponential(mean):
    from scipy.stats import expon

    return expon(scale=mean)


def _fit_gamma(x):
    from scipy.stats import gamma

    shape, _, scale_ = gamma.fit(x, floc=0)
    return {"mean": float(shape * scale_), "cv": float(1 / math.sqrt(shape))}


def _ll_gamma(x, mean, cv):
    if mean <= 0 or cv <= 0:
        return -math.inf
    shape, scale_ = 1 / cv**2, mean * cv**2
    return float((shape - 1) * np.log(x).sum() - x.sum() / scale_
                 - len(x) * (math.lgamma(shape) + shape * math.log(scale_)))


def _sp_gamma(mean, cv):
    from scipy.stats import gamma

    return gamma(1 / cv**2, scale=mean * cv**2)


def _fit_lognormal(x):
    logs = np.log(x)
    mu, sigma = float(logs.mean()), float(logs.std())
    return {"mean": math.exp(mu + sigma**2 / 2), "cv": math.sqrt(math.expm1(sigma**2))}


def _ll_lognormal(x, mean, cv):
    if mean <= 0 or cv <= 0:
        return -math.inf
    sigma2 = math.log1p(cv**2)
    logs = np.log(x)
    d = logs - (math.log(mean) - sigma2 / 2)
    return float(-logs.sum() - len(x) * 0.5 * math.log(2 * math.pi * sigma2)
                 - (d @ d) / (2 * sigma2))


def _sp_lognormal(mean, cv):
    from scipy.stats import lognorm

    sigma = math.sqrt(math.log1p(cv**2))
    return lognorm(sigma, scale=math.exp(math.log(mean) - sigma**2 / 2))


def _fit_weibull(x):
    from scipy.stats import weibull_min

    shape, _, scale_ = weibull_min.fit(x, floc=0)
    return {"shape": float(shape), "scale": float(scale_)}


def _ll_weibull(x, shape, scale):
    if shape <= 0 or scale <= 0:
        return -math.inf
    return float(len(x) * (math.log(shape) - shape * math.log(scale))
                 + (shape - 1) * np.log(x).sum() - ((x / scale) ** shape).sum())


def _sp_weibull(shape, scale):
    from scipy.stats import weibull_min

    return weibull_min(shape, scale=scale)


def _fit_normal(x):
    """MLE of Normal(loc, sd) truncated to [0, inf), with loc >= 0 (the engine's domain)."""
    from scipy.optimize import minimize

    start = [float(x.mean()), math.log(float(x.std()) or 1.0)]
    res = minimize(_nll_normal, start, args=(x,), jac=True, method="TNC",
                   bounds=[(0.0, None), (None, None)])
    return {"mean": float(res.x[0]), "sd": float(math.exp(res.x[1]))}


def _nll_normal(t, x):
    """Negative log-likelihood of the truncated normal in (mean, log sd), with its gradient."""
    from scipy.special import log_ndtr

    mean, sd = t[0], math.exp(t[1])
    n, a = len(x), mean / sd
    z = (x - mean) / sd
    zz = float(z @ z)
    mills = math.exp(-0.5 * a * a - 0.5 * math.log(2 * math.pi) - log_ndtr(a))  # phi/Phi
    nll = 0.5 * zz + n * (math.log(sd) + 0.5 * math.log(2 * math.pi) + log_ndtr(a))
    grad = [-(z.sum() - n * mills) / sd, -(zz - n + n * a * mills)]
    return nll, np.array(grad)


def _ll_normal(x, mean, sd):
    from scipy.special import log_ndtr

    if sd <= 0:
        return -math.inf
    z = (x - mean) / sd
    return float(-0.5 * (z @ z) - len(x) * (math.log(sd) + 0.5 * math.log(2 * math.pi)
                                             + log_ndtr(mean / sd)))


def _sp_normal(mean, sd):
    from scipy.stats import truncnorm

    return truncnorm(-mean / sd, math.inf, loc=mean, scale=sd)


def _fit_uniform(x):
    return {"low": float(x.min()), "high": float(x.max())}


def _ll_uniform(x, low, high):
    inside = high > low and x.min() >= low and x.max() <= high
    return -len(x) * math.log(high - low) if inside else -math.inf


def _sp_uniform(low, high):
    from scipy.stats import uniform

    return uniform(low, high - low)


FITTERS: dict[str, tuple[Callable, Callable, Callable, Callable]] = {
    "exponential": (_fit_exponential, _ll_exponential, _sp_exponential, Exponential),
    "gamma": (_fit_gamma, _ll_gamma, _sp_gamma, Gamma),
    "lognormal": (_fit_lognormal, _ll_lognormal, _sp_lognormal, LogNormal),
    "weibull": (_fit_weibull, _ll_weibull, _sp_weibull, Weibull),
    "normal": (_fit_normal, _ll_normal, _sp_normal, Normal),
    "uniform": (_fit_uniform, _ll_uniform, _sp_uniform, Uniform),
}
"""family -> (MLE in engine parameters, log-likelihood, scipy frozen distribution, engine class)."""


# --- helpers --------------------------------------------------------------------------------


def _check_samples(samples) -> np.ndarray:
    try:
        x = np.asarray(samples, dtype=float).ravel()
    except (TypeError, ValueError):
        raise DistError("fit: samples must be numbers") from None
    if x.size < MIN_SAMPLES:
        raise DistError(f"fit: got {x.size} samples; need at least {MIN_SAMPLES}")
    if not np.isfinite(x).all() or (x < 0).any():
        raise DistError("fit: samples must be finite durations >= 0")
    if np.ptp(x) == 0:
        raise DistError(f"fit: all samples equal {x[0]!r}; use dist = 'constant'")
    return x


def _unsuitable(family: str, x: np.ndarray) -> str:
    if family in ("gamma", "lognormal", "weibull") and (x <= 0).any():
        return "needs every sample > 0"
    return ""


def _read_values(path: pathlib.Path, column: str | None) -> np.ndarray:
    return Empirical.from_csv(path, column).values


def _with(cand: Candidate, **changes) -> Candidate:
    return replace(cand, **changes)


def _params_text(c: Candidate, ci: bool = False) -> str:
    parts = []
    for name, value in c.params.items():
        lo, hi = c.ci.get(name, (math.nan, math.nan))
        span = f" [{lo:.4g}, {hi:.4g}]" if ci and not math.isnan(lo) else ""
        parts.append(f"{name}={value:.4g}{span}")
    return ", ".join(parts)
