"""``experiment.sample_every`` (kernsim.sampler): the series reads the model and changes
nothing; its time averages over the measured window are the end-of-run metrics."""

from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd
import pytest
from experiment_files import ROOT

from kernsim.experiment.load import load
from kernsim.experiment.tasks import iter_tasks
from kernsim.simulate import simulate

QUICKSTART = ROOT / "experiments" / "quickstart.toml"
TINY = ROOT / "tests" / "fixtures" / "tiny.toml"
METASTABLE = ROOT / "experiments" / "metastable_retry.toml"
C4 = ROOT / "experiments" / "c4_fault_injection.toml"

#: (file, overrides, which task): the quickstart's microkernel on 4 cores (the OS model,
#: warm-up 1 ms, a multiple of 0.3 ms it is not), tiny with a warm-up off the grid, and a
#: retry storm (clients: goodput)
CASES = {
    "quickstart": (QUICKSTART, ["experiment.replications=1", "experiment.duration=4ms"],
                   {"system.architecture": "microkernel", "system.cores": 4}),
    "tiny": (TINY, ["experiment.warmup=450us"], {}),
    "metastable": (METASTABLE, ["experiment.replications=1", "experiment.duration=30ms"],
                   {"trigger.factor": 0.5, "trigger.length": "5ms",
                    "workload.retry.budget": 1e9, "workload.retry.base": "0us"}),
    "c4": (C4, ["experiment.replications=1", "experiment.duration=12ms"],
           {"system.architecture": "microkernel"}),
}


def _task(path, overrides, params):
    exp = load(path, overrides)
    return next(t for t in iter_tasks(exp) if all(t.params.get(k) == v
                                                  for k, v in params.items()))


def _run(case: str, every: str | None, tmp_path):
    """One task of ``case``, its file's own ``sample_every`` removed, ``every`` set."""
    path, overrides, params = CASES[case]
    lines = path.read_text(encoding="utf-8").splitlines()
    copy = tmp_path / path.name
    copy.write_text("\n".join(ln for ln in lines if not ln.startswith("sample_every")),
                    encoding="utf-8")
    extra = [f"experiment.sample_every={every}"] if every else []
    task = _task(copy, overrides + extra, params)
    return task.config, simulate(task.config, task.seed())


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("case", list(CASES))
def test_sampling_changes_no_metric(case, tmp_path):
    _, off = _run(case, None, tmp_path)
    _, on = _run(case, "0.3ms", tmp_path)
    series = on.pop("_series")
    assert len(series["t"]) > 0
    assert off.keys() == on.keys()
    assert [k for k in off if not _same(off[k], on[k])] == []


@pytest.mark.parametrize("case", list(CASES))
def test_time_averages_are_the_end_of_run_metrics(case, tmp_path):
    config, metrics = _run(case, "0.3ms", tmp_path)
    series = pd.DataFrame(metrics.pop("_series"))
    warmup = config.experiment.warmup
    measured = series[series["t"] - series["dt"] >= warmup]
    averaged = measured.groupby("metric").apply(
        lambda g: float((g["value"] * g["dt"]).sum() / g["dt"].sum()), include_groups=False)
    checked = [m for m in averaged.index
               if m.startswith(("util.", "cpu.", "queue.")) and m in metrics
               or m in ("throughput", "goodput")]
    assert any(m.startswith("util.") for m in checked)
    os_model = case in ("quickstart", "c4")
    assert os_model or any(m.startswith("queue.") for m in checked)
    assert not os_model or any(m.startswith("cpu.") for m in checked)
    assert case not in ("metastable", "c4") or "goodput" in checked
    intervals = measured.groupby("metric").size().max()
    # rounding: one difference and one product per interval, and the sum of them
    rel = 8 * intervals * sys.float_info.epsilon
    wrong = {m: (averaged[m], metrics[m]) for m in checked
             if not math.isclose(averaged[m], metrics[m], rel_tol=rel, abs_tol=rel)}
    assert wrong == {}


def test_the_grid_is_anchored_at_the_warm_up_and_covers_the_run(tmp_path):
    config, metrics = _run("tiny", "0.3ms", tmp_path)
    series = pd.DataFrame(metrics["_series"])
    one = series[series["metric"] == "util.cpu"]
    end = config.experiment.warmup + config.experiment.duration
    assert math.isclose(one["dt"].sum(), end, rel_tol=len(one) * sys.float_info.epsilon)
    assert one["t"].iloc[-1] == end
    assert 450.0 in set(one["t"])  # the warm-up's own sample
    inner = one["t"].to_numpy()[:-1]
    steps = (inner - 450.0) / 300.0
    assert np.allclose(steps, np.round(steps), rtol=0, atol=1e-9)
    assert (one["dt"] > 0).all()


def test_counts_kept_only_while_measuring_start_at_the_warm_up(tmp_path):
    config, metrics = _run("metastable", "1ms", tmp_path)
    series = pd.DataFrame(metrics["_series"])
    goodput = series[series["metric"] == "goodput"]
    throughput = series[series["metric"] == "throughput"]
    assert (goodput["t"] - goodput["dt"]).min() == config.experiment.warmup
    assert (throughput["t"] - throughput["dt"]).min() == 0.0


@pytest.mark.parametrize("case", list(CASES))
def test_every_interval_is_in_its_metrics_range_warm_up_included(case, tmp_path):
    """A reading taken after the statistics reset (not before) would make the last
    warm-up interval negative; fractions stay in [0, 1], everything else ≥ 0."""
    _, metrics = _run(case, "0.3ms", tmp_path)
    series = pd.DataFrame(metrics["_series"])
    fractions = series["metric"].str.startswith(("util.", "cpu."))
    slack = 64 * sys.float_info.epsilon
    assert (series["value"] >= -slack).all()
    assert (series.loc[fractions, "value"] <= 1 + slack).all()
