"""``kernsim sensitivity`` and ``kernsim.analysis.sensitivity``: Sobol' indices of a Saltelli
sweep. Functions with known indices (Ishigami, linear) are evaluated on the sweep's own
design without the simulator and written as a results folder; the indices must come back
within their bootstrap CIs. One test runs a tiny Saltelli sweep of the simulator end to end."""

from __future__ import annotations

import json
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from kernsim.analysis import plots
from kernsim.analysis.sensitivity import Design, analyze, sample_values, sobol_indices
from kernsim.errors import KernsimError
from kernsim.experiment.sweep import expand

PI = math.pi
# Ishigami with a = 7, b = 0.1 (Ishigami & Homma 1990; Sobol' & Levitan 1999):
# V = a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2, V1 = (1 + bπ⁴/5)²/2, V2 = a²/8, V13 = b²π⁸(1/18 − 1/50)
A, B = 7.0, 0.1
V = A**2 / 8 + B * PI**4 / 5 + B**2 * PI**8 / 18 + 0.5
V1, V2, V13 = 0.5 * (1 + B * PI**4 / 5) ** 2, A**2 / 8, B**2 * PI**8 * (1 / 18 - 1 / 50)
ISHIGAMI = {"S1": [V1 / V, V2 / V, 0.0], "ST": [(V1 + V13) / V, V2 / V, V13 / V]}


def ishigami(p: dict) -> float:
    return math.sin(p["x1"]) + A * math.sin(p["x2"]) ** 2 + B * p["x3"] ** 4 * math.sin(p["x1"])


def results_folder(path, sweep: dict, f, seed: int = 2026, groups=({},), reps: int = 1):
    """A results folder as ``kernsim run`` leaves it, of ``f(params)`` on the sweep's design
    (crossed with the grid ``groups``): results.parquet and the manifest keys it reads."""
    sample = expand(sweep, seed)
    points = [{**g, **p} for g in groups for p in sample]
    rows = [{"design_point": i, "replication": r, "seed": seed, **p, "y": f(p)}
            for i, p in enumerate(points) for r in range(reps)]
    path.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(path / "results.parquet")
    manifest = {"name": "known", "status": "complete", "root_seed": seed,
                "config": {"sweep": sweep},
                "design_points": [{"design_point": i, **p} for i, p in enumerate(points)]}
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return path


def within(table: pd.DataFrame, truth: dict[str, list[float]]) -> dict[str, bool]:
    return {f"{kind}({name})": bool(lo <= t <= hi)
            for kind in ("S1", "ST")
            for name, lo, hi, t in zip(table["parameter"], table[f"{kind}_low"],
                                       table[f"{kind}_high"], truth[kind])}


def test_ishigami_indices_come_back_within_the_commands_cis(tmp_path, cli):
    """1024 base samples (5,120 points): all six indices inside their 95% CIs. Over 40
    other seeds each CI covered its truth every time (the bootstrap is conservative for
    a scrambled Sobol' design), so this fixed seed was not picked to pass."""
    ranges = {"x1": [-PI, PI], "x2": [-PI, PI], "x3": [-PI, PI]}
    folder = results_folder(tmp_path / "ishigami", {"method": "saltelli", "n": 1024,
                                                    "ranges": ranges}, ishigami)
    done = cli("sensitivity", folder, "-m", "y")
    assert done.exit_code == 0, done.output
    assert "95% bootstrap CI" in done.stdout and "x3" in done.stdout
    table = pd.read_csv(folder / "sensitivity-y.csv")
    assert list(table["parameter"]) == ["x1", "x2", "x3"]
    assert all(within(table, ISHIGAMI).values()), (within(table, ISHIGAMI), table)
    doc = json.loads((folder / "sensitivity-y.json").read_text())
    assert doc["level"] == 0.95 and doc["base_samples"] == 1024 and len(doc["indices"]) == 3


def test_linear_model_indices_are_its_squared_coefficient_shares(tmp_path):
    """y = x1 + 2 x2 + 3 x3 on the unit cube: S1 = ST = (1, 4, 9) / 14; the 99% CIs hold
    them, and a parameter that y ignores has ST within its CI of 0."""
    ranges = {"x1": [0.0, 1.0], "x2": [0.0, 1.0], "x3": [0.0, 1.0], "unused": [0.0, 1.0]}
    sweep = {"method": "saltelli", "n": 256, "ranges": ranges}
    folder = results_folder(tmp_path / "linear", sweep,
                            lambda p: p["x1"] + 2 * p["x2"] + 3 * p["x3"])
    table = analyze(folder, "y", level=0.99)
    truth = [1 / 14, 4 / 14, 9 / 14, 0.0]
    assert all(within(table, {"S1": truth, "ST": truth}).values()), table
    assert table.attrs["quantity"] == "y" and table.attrs["level"] == 0.99


def test_a_baseline_gives_the_indices_of_the_relative_change(tmp_path):
    """y[b] = y[a] · (1 + x2 + 2 x3): relative to a, y[b]/y[a] − 1 = x2 + 2 x3, whose
    indices are (0, 1/5, 4/5), though y itself depends mostly on x1."""
    ranges = {"x1": [0.0, 1.0], "x2": [0.0, 1.0], "x3": [0.0, 1.0]}

    def f(p):
        y = 5 + 10 * p["x1"]
        return y if p["arch"] == "a" else y * (1 + p["x2"] + 2 * p["x3"])

    folder = results_folder(tmp_path / "pair", {"method": "saltelli", "n": 256,
                                                "ranges": ranges}, f,
                            groups=({"arch": "a"}, {"arch": "b"}))
    table = analyze(folder, "y", baseline="arch=a")
    assert list(table["arch"]) == ["b"] * 3
    drivers = table.iloc[1:]
    assert all(within(drivers, {"S1": [1 / 5, 4 / 5], "ST": [1 / 5, 4 / 5]}).values()), table
    # x1 cancels from y[b] / y[a]: its indices are 0 up to the rounding of that quotient
    rounding = 1e3 * np.finfo(float).eps
    assert (table.iloc[0][["S1", "ST", "S1_low", "S1_high", "ST_low", "ST_high"]].abs()
            < rounding).all(), table
    assert table.attrs["quantity"] == "y / y[arch=a] − 1"
    values = sample_values(folder, "y", baseline="arch=a")  # what was apportioned
    assert list(values.columns) == ["x1", "x2", "x3", "arch", "value"]
    assert (values["arch"] == "b").all() and len(values) == 256 * 5
    np.testing.assert_allclose(values["value"], values["x2"] + 2 * values["x3"], rtol=1e-12)
    both = analyze(folder, "y")  # without: one analysis per group
    assert list(both["arch"]) == ["a"] * 3 + ["b"] * 3
    assert both.loc[both["arch"] == "a", "S1"].iloc[0] > 0.9  # y[a] is x1 alone


def test_the_same_folder_gives_the_same_intervals_and_replications_are_averaged(tmp_path):
    sweep = {"method": "saltelli", "n": 16, "ranges": {"x1": [0.0, 1.0], "x2": [0.0, 1.0]}}
    once = results_folder(tmp_path / "once", sweep, lambda p: p["x1"] + p["x2"] ** 2)
    thrice = results_folder(tmp_path / "thrice", sweep, lambda p: p["x1"] + p["x2"] ** 2,
                            reps=3)
    first, again = analyze(once, "y"), analyze(once, "y")
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, analyze(thrice, "y"))


def test_plot_draws_s1_and_st_with_their_intervals_per_group(tmp_path):
    ranges = {"x1": [0.0, 1.0], "x2": [0.0, 1.0]}
    folder = results_folder(tmp_path / "g", {"method": "saltelli", "n": 16, "ranges": ranges},
                            lambda p: p["x1"] * (2 if p["k"] == 1 else 1) + p["x2"],
                            groups=({"k": 1}, {"k": 2}))
    fig = plots.sensitivity(analyze(folder, "y"))
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(ax.patches) == 2 * 2  # S1 and ST for each of 2 parameters
        assert [t.get_text() for t in ax.get_xticklabels()] == ["x1", "x2"]
        assert {t.get_text() for t in ax.get_legend().get_texts()} == {"first-order S1",
                                                                       "total ST"}


@pytest.fixture
def folder(tmp_path):
    sweep = {"method": "saltelli", "n": 8, "ranges": {"x1": [0.0, 1.0], "x2": [0.0, 1.0]}}
    return results_folder(tmp_path / "f", sweep, lambda p: p["x1"], groups=({"arch": "a"},))


@pytest.mark.parametrize("change,message", [
    ({"metric": "nope"}, "--metric 'nope': not a metric of the results; have: y"),
    ({"metric": "arch"}, "--metric 'arch': a swept key or a row key, not a metric"),
    ({"metric": "x1"}, "--metric 'x1': a swept key"),
    ({"baseline": "arch"}, "--baseline 'arch': expected KEY=VALUE"),
    ({"baseline": "x1=0"}, "--baseline 'x1=0': expected KEY=VALUE with KEY a swept key"),
    ({"baseline": "arch=z"}, "--baseline arch=z: no such value; have: a"),
    ({"baseline": "arch=a"}, "--baseline arch=a: every group is the baseline"),
])
def test_bad_arguments_are_refused_in_one_line_naming_them(folder, change, message):
    args = {"metric": "y", **change}
    with pytest.raises(KernsimError) as err:
        analyze(folder, args.pop("metric"), **args)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("args,message", [
    (["-m", "nope"], "--metric 'nope': not a metric of the results; have: y"),
    (["-m", "x1"], "--metric 'x1': a swept key or a row key, not a metric"),
    (["-m", "y", "--baseline", "arch=z"], "--baseline arch=z: no such value; have: a"),
])
def test_the_command_refuses_a_bad_metric_with_exit_2_in_one_line_writing_nothing(
        folder, cli, args, message):
    before = sorted(p.name for p in folder.iterdir())
    done = cli("sensitivity", folder, *args)
    assert done.exit_code == 2 and done.stdout == "", done.output
    assert message in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in folder.iterdir()) == before


def test_unfinished_constant_and_missing_values_are_refused(folder):
    df = pd.read_parquet(folder / "results.parquet")
    df[df["design_point"] != 5].to_parquet(folder / "results.parquet")
    with pytest.raises(KernsimError, match="results for 31 of 32 design points"):
        analyze(folder, "y")
    found = Design(("x1", "x2"), 8, 1, ("arch",))
    with pytest.raises(KernsimError, match="design point 5 has no value"):
        sobol_indices(df.assign(y=np.where(df["design_point"] == 5, np.nan, df["y"])), "y",
                      found)
    with pytest.raises(KernsimError, match=r"'y': is constant over the design \(arch=a\)"):
        sobol_indices(df.assign(y=1.0), "y", found)


def test_a_tiny_saltelli_sweep_of_the_simulator_ranks_the_arrival_rate_first(
        experiment_file, tmp_path, cli):
    """An open M/M/1 queue: its throughput is its arrival rate, whatever the service time
    (ρ ≤ 0.625 here). The interarrival mean's S1 interval lies above the service mean's ST
    interval: the command tells a driving parameter from an idle one on simulator output."""
    from kernsim.experiment.load import load
    from kernsim.experiment.runner import run

    path = experiment_file(sweep={"method": "saltelli", "n": 32, "ranges": {
        "workload.interarrival.mean": [8.0, 16.0], "components.cpu.service.mean": [2.0, 5.0]}})
    out = run(load(path), out=tmp_path / "out", executor="serial").out
    done = cli("sensitivity", out, "-m", "throughput", "--out", tmp_path / "indices")
    assert done.exit_code == 0, done.output
    table = pd.read_csv(tmp_path / "indices" / "sensitivity-throughput.csv").set_index(
        "parameter")
    arrival, service = (table.loc[f"{k}.mean"] for k in ("workload.interarrival",
                                                         "components.cpu.service"))
    assert arrival["S1_low"] > service["ST_high"], table
    assert not (out / "sensitivity-throughput.csv").exists()  # --out, not the folder


def test_plot_names_parameters_without_their_shared_dotted_prefix():
    table = pd.DataFrame({"parameter": ["system.ipc.latency", "system.cores"],
                          **{k: [0.5, 0.2] for k in ("S1", "ST")},
                          **{f"{k}_{e}": [0.4, 0.1] if e == "low" else [0.6, 0.3]
                             for k in ("S1", "ST") for e in ("low", "high")}})
    ax = plots.sensitivity(table).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ipc.latency", "cores"]
    assert ax.get_xlabel() == "parameter (system.…)"
