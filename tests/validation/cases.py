"""The validation cases: which experiment file, which metrics, which closed form.

Shared by the test modules (one module-scoped fixture per case) and by
``report.py``, so the table it prints is computed exactly as the tests check.

A case is an experiment file in ``experiments/validation/``. For every design
point the analytic value of each checked metric is computed here from the
point's own parameters (read with a unit parser of this module, not the
model's) by the independent formulas of ``closed_forms``. The simulated side
is the per-replication metric; a check passes when the analytic value lies in
the model's own 99% Student-t interval over the replications.
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from kernsim.experiment.load import Experiment, load
from kernsim.experiment.tasks import Task, run_task, tasks_for
from kernsim.stats.intervals import t_interval

from . import closed_forms as cf

try:  # file locks let pytest-xdist workers share one case's replications
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: every worker runs its own
    fcntl = None

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "experiments" / "validation"
#: Family-wise 99%: the closed-form suite makes CHECKS comparisons (the rows of
#: tests/validation/report.py); a correct simulator would fail at least one
#: 99% check about a quarter of the time, so each check uses the Bonferroni
#: level 1 - 0.01 / CHECKS and the suite as a whole errs 1% of the time.
CHECKS = 28
LEVEL = 1 - 0.01 / CHECKS

# --- reading parameters (own unit table: the model's parser is under test) ---

_UNITS = {"ns": 1e-3, "us": 1.0, "µs": 1.0, "ms": 1e3, "s": 1e6, "min": 6e7, "h": 3.6e9}
_DURATION = re.compile(r"^\s*([0-9.eE+-]+)\s*([a-zµ]+)\s*$")


def us(value: Any) -> float:
    """A duration from an experiment file in µs: bare numbers are µs."""
    if isinstance(value, (int, float)):
        return float(value)
    match = _DURATION.match(value)
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"cannot read duration {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def written(spec: Any) -> Any:
    """A distribution key as written in the file (a validated config holds it built,
    with the text it came from as ``.raw``): the closed forms read only that text."""
    return getattr(spec, "raw", spec)


def exponential_mean(spec: Any) -> float:
    """Mean (µs) of an exponential distribution spec; anything else is a wrong file."""
    spec = written(spec)
    if not (isinstance(spec, dict) and spec.get("dist") == "exponential"):
        raise ValueError(f"expected an exponential distribution, got {spec!r}")
    return us(spec["mean"]) if "mean" in spec else 1.0 / float(spec["rate"])


def service_moments(spec: Any) -> tuple[float, float, str]:
    """(mean, variance, name) of a service-time spec used by the M/G/1 case."""
    spec = written(spec)
    if isinstance(spec, (int, float, str)):
        return us(spec), 0.0, "deterministic"
    kind = spec.get("dist")
    if kind == "constant":
        return us(spec["value"]), 0.0, "deterministic"
    if kind == "lognormal":
        mean = us(spec["mean"])
        return mean, cf.lognormal_var(mean, float(spec["cv"])), f"lognormal cv={spec['cv']}"
    if kind == "exponential":
        mean = exponential_mean(spec)
        return mean, mean**2, "exponential"
    raise ValueError(f"no closed form here for service {spec!r}")


# --- the analytic side of each case: config of a design point -> label, {metric: value} ---

Expected = tuple[str, dict[str, float]]


def _mm1(cfg: Any) -> Expected:
    lam = 1.0 / exponential_mean(cfg.workload.interarrival)
    mu = 1.0 / exponential_mean(cfg.components["server"].service)
    assert cfg.components["server"].servers == 1
    return f"rho={lam / mu:.3g}", {"wait_mean": cf.mm1_wq(lam, mu), "util.server": lam / mu}


def _mmc(cfg: Any) -> Expected:
    lam = 1.0 / exponential_mean(cfg.workload.interarrival)
    mu = 1.0 / exponential_mean(cfg.components["server"].service)
    c = cfg.components["server"].servers
    rho = lam / (c * mu)
    return f"c={c}, rho={rho:.3g}", {"wait_mean": cf.mmc_wq(lam, mu, c), "util.server": rho}


def _mg1(cfg: Any) -> Expected:
    lam = 1.0 / exponential_mean(cfg.workload.interarrival)
    mean, var, name = service_moments(cfg.components["server"].service)
    assert cfg.components["server"].servers == 1
    rho = lam * mean
    return f"{name}, rho={rho:.3g}", {"wait_mean": cf.pk_wq(lam, mean, var), "util.server": rho}


def _jackson(cfg: Any) -> Expected:
    lam = 1.0 / exponential_mean(cfg.workload.interarrival)
    assert not cfg.workload.classes, "one class through every component, in file order"
    stations = {name: (spec.servers, 1.0 / exponential_mean(spec.service))
                for name, spec in cfg.components.items()}
    rho = {name: lam / (c * mu) for name, (c, mu) in stations.items()}
    label = f"lambda={lam:.3g}/us, " + " ".join(f"rho_{n}={r:.3g}" for n, r in rho.items())
    expected = {"response_mean": cf.jackson_tandem_sojourn(lam, list(stations.values()))}
    expected.update({f"util.{name}": r for name, r in rho.items()})
    return label, expected


def _repairman(cfg: Any) -> Expected:
    assert cfg.workload.kind == "closed" and list(cfg.components) == ["repair"]
    n = cfg.workload.clients
    up = exponential_mean(cfg.workload.think)
    repair = exponential_mean(cfg.components["repair"].service)
    sol = cf.repairman(n, up, repair)  # times in µs, so throughput per µs
    label = f"N={n}, up={up / 3.6e9:g}h, repair={repair / 3.6e9:g}h, util={sol['util']:.3g}"
    return label, {"throughput": sol["throughput"] * 1e6, "response_mean": sol["response"]}


@dataclass(frozen=True)
class Case:
    file: str
    expected: Callable[[Any], Expected]


CASES: dict[str, Case] = {
    "mm1": Case("mm1.toml", _mm1),
    "mmc": Case("mmc.toml", _mmc),
    "mg1": Case("mg1.toml", _mg1),
    "jackson": Case("jackson.toml", _jackson),
    "repairman": Case("repairman.toml", _repairman),
}


@dataclass(frozen=True)
class Target:
    """One metric at one design point of a case, with its analytic value."""

    case: str
    point: int
    label: str
    metric: str
    analytic: float

    def __str__(self) -> str:
        return f"{self.label}: {self.metric}"


@dataclass(frozen=True)
class Check:
    """A target against the replications: mean and 99% Student-t interval."""

    target: Target
    values: tuple[float, ...]

    @property
    def interval(self) -> tuple[float, float, float]:
        return t_interval(self.values, level=LEVEL)

    @property
    def passed(self) -> bool:
        """Inside the interval, and every replication gave a finite value (NaN fails)."""
        _, low, high = self.interval
        finite = bool(np.all(np.isfinite(self.values)))
        return finite and bool(low <= self.target.analytic <= high)

    @property
    def message(self) -> str:
        t = self.target
        mean, low, high = self.interval
        return (f"{t.case} [{t.label}] {t.metric}: analytic {t.analytic:.6g}, simulated mean "
                f"{mean:.6g}, {LEVEL:.0%} CI [{low:.6g}, {high:.6g}] "
                f"(n={len(self.values)}) -> {'inside' if self.passed else 'OUTSIDE'}")


@cache
def experiment(name: str) -> Experiment:
    return load(FILES / CASES[name].file)


def targets(name: str) -> list[Target]:
    """Every checked (design point, metric) of a case; no simulation (collection time)."""
    out = []
    for point in experiment(name).points:
        label, expected = CASES[name].expected(point.config)
        out += [Target(name, point.index, label, m, v) for m, v in expected.items()]
    return out


def check(target: Target, rows: list[dict]) -> Check:
    values = tuple(float(r[target.metric]) for r in rows if r["design_point"] == target.point)
    if not values:
        raise LookupError(f"no replications for design point {target.point} of {target.case}")
    return Check(target, values)


def errors(rows: list[dict]) -> list[str]:
    """Tracebacks of replications in which the model raised."""
    return [f"design point {r['design_point']}, replication {r['replication']}:\n{r['_error']}"
            for r in rows if "_error" in r]


def rows(name: str, share: Path | None = None) -> list[dict]:
    """Run (once per process; once per test run under pytest-xdist) every replication."""
    return _rows(name, str(share) if share else None)


@cache
def _rows(name: str, share: str | None) -> list[dict]:
    exp = experiment(name)
    where = Path(share) / f"{name}-{exp.config_hash}" if share else None
    return run_tasks(tasks_for(exp), where)


def run_tasks(tasks: list[Task], share: Path | None = None) -> list[dict]:
    """``run_task`` for each task, serially and in order.

    With ``share`` (a directory every pytest-xdist worker of one run sees),
    each task is claimed under a file lock and its row stored there, so
    workers that need the same case split its replications between them
    instead of each running all of them. Rows depend only on the task (its
    seed), never on which worker ran it.
    """
    if share is None or fcntl is None:
        return [run_task(t) for t in tasks]
    share.mkdir(parents=True, exist_ok=True)
    done: dict[int, dict] = {}
    for blocking in (False, True):  # first take what nobody holds, then wait for the rest
        for i, task in enumerate(tasks):
            if i not in done:
                row = _claim(share / f"{task.design_point}-{task.replication}", task, blocking)
                if row is not None:
                    done[i] = row
    return [done[i] for i in range(len(tasks))]


def _claim(stem: Path, task: Task, blocking: bool) -> dict | None:
    out = stem.with_suffix(".pkl")
    with open(stem.with_suffix(".lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            return None
        try:
            if out.exists():
                return pickle.loads(out.read_bytes())
            row = run_task(task)
            tmp = stem.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(row))
            tmp.replace(out)
            return row
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# --- case 6: coverage of the 95% interval over many root seeds ---

COVERAGE_FILE = "mm1_coverage.toml"
COVERAGE_SEEDS = tuple(range(1000, 1060))  # 60 root seeds, fixed up front
COVERAGE_LEVEL = 0.95


@dataclass(frozen=True)
class Coverage:
    analytic: float
    intervals: tuple[tuple[float, float, float], ...]  # (mean, low, high) per root seed

    @property
    def covered(self) -> int:
        return sum(low <= self.analytic <= high for _, low, high in self.intervals)

    @property
    def n(self) -> int:
        return len(self.intervals)

    @property
    def pvalue(self) -> float:
        return float(stats.binomtest(self.covered, self.n, COVERAGE_LEVEL).pvalue)

    @property
    def message(self) -> str:
        means = np.array([m for m, _, _ in self.intervals])
        return (f"coverage: {self.covered}/{self.n} of the {COVERAGE_LEVEL:.0%} intervals cover "
                f"the exact M/M/1 Wq {self.analytic:.6g} (binomial test vs "
                f"{COVERAGE_LEVEL:.0%}: p = {self.pvalue:.3g}); mean of the estimates "
                f"{means.mean():.6g}")


def coverage_experiments() -> list[Experiment]:
    return [load(FILES / COVERAGE_FILE, [f"experiment.seed={s}"]) for s in COVERAGE_SEEDS]


def coverage_analytic() -> float:
    """Exact M/M/1 W_q of the coverage file (one design point)."""
    (point,) = load(FILES / COVERAGE_FILE).points
    return _mm1(point.config)[1]["wait_mean"]


def coverage_rows(share: Path | None = None) -> list[list[dict]]:
    """Rows per root seed (each seed's replications run once, like ``rows``)."""
    return _coverage_rows(str(share) if share else None)


@cache
def _coverage_rows(share: str | None) -> list[list[dict]]:
    out = []
    for exp in coverage_experiments():
        where = (Path(share) / f"coverage-{exp.config.experiment.seed}-{exp.config_hash}"
                 if share else None)
        out.append(run_tasks(tasks_for(exp), where))
    return out


def coverage(per_seed: list[list[dict]]) -> Coverage:
    analytic = coverage_analytic()
    intervals = tuple(t_interval([r["wait_mean"] for r in rows_], level=COVERAGE_LEVEL)
                      for rows_ in per_seed)
    return Coverage(analytic, intervals)
