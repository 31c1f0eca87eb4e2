"""``kernsim.analysis.plots``: every plot function returns a Figure with the expected lines
or bars."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from kernsim.analysis import plots
from kernsim.stats.warmup import mser5

ARCHS, CORES, REPS = ("monolithic", "microkernel"), (1, 2, 4), 3


@pytest.fixture(scope="module")
def results() -> pd.DataFrame:
    """A small results frame: 2 architectures x 3 core counts x 3 replications."""
    rng = np.random.default_rng(4)
    rows, dp = [], 0
    for arch in ARCHS:
        for cores in CORES:
            for rep in range(REPS):
                p50 = 100 / cores + rng.normal()
                micro = arch == "microkernel"
                rows.append({
                    "design_point": dp, "replication": rep, "seed": 1,
                    "system.architecture": arch, "system.cores": cores,
                    "throughput": 1e5 * cores * (0.8 if micro else 1) + rng.normal(0, 1e3),
                    "response_p50": p50, "response_p95": 1.5 * p50, "response_p99": 1.8 * p50,
                    "cpu.user": 0.1, "cpu.kernel": 0.0 if micro else 0.7,
                    "cpu.server": 0.6 if micro else 0.0, "cpu.ipc": 0.1 if micro else 0.0,
                    "cpu.switch": 0.05, "cpu.spin": 0.0, "cpu.sleep": 0.0,
                    "cpu.idle": 0.15,
                    "lock.a.wait_mean": np.nan if micro else rng.exponential(cores),
                    "lock.a.wait_p99": np.nan if micro else rng.exponential(5 * cores),
                    "lock.b.wait_mean": np.nan if micro else rng.exponential(cores),
                    "lock.b.wait_p99": np.nan if micro else rng.exponential(5 * cores),
                    "availability": 0.99 - 0.01 * micro + rng.normal(0, 0.001),
                })
            dp += 1
    df = pd.DataFrame(rows)
    df.attrs["params"] = ["system.architecture", "system.cores"]
    return df


def test_metric_vs_param_draws_one_line_and_band_per_architecture(results):
    fig = plots.metric_vs_param(results, "throughput")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.lines) == len(ARCHS) and len(ax.collections) == len(ARCHS)
    assert ax.get_xlabel() == "system.cores"
    assert ax.get_legend().get_title().get_text() == "system.architecture"


def test_metric_vs_param_band_is_the_t_interval_in_the_unit_on_the_axis(results):
    fig = plots.metric_vs_param(results, "throughput")  # 1e5 to 4e5 per s: shown in k/s
    line = fig.axes[0].lines[0]  # monolithic, the first in design-point order
    mono1 = results.query("`system.architecture` == 'monolithic' and `system.cores` == 1")
    assert fig.axes[0].get_ylabel() == "throughput (k/s)"
    assert line.get_ydata()[0] == pytest.approx(mono1["throughput"].mean() / 1e3)


@pytest.mark.parametrize(("metric", "values", "shown"), [
    ("response_mean", [3.0, 800.0], (1.0, "µs")), ("response_mean", [2e3, 9e4], (1e3, "ms")),
    ("mttf_system", [4.37e12], (8.64e10, "days")), ("throughput", [5e6], (1e6, "M/s")),
    ("throughput", [0.2], (1.0, "/s")), ("queue.fs", [3e6], (1.0, "requests")),
    ("migration.bytes_moved", [3 * 2**30], (2**30, "GiB")), ("system.cores", [4], (1.0, "")),
])
def test_display_unit_follows_the_unit_table_and_the_data(metric, values, shown):
    from kernsim.units import display_unit

    assert display_unit(metric, values) == shown


def test_fractions_and_probabilities_are_drawn_on_the_whole_0_to_1_scale(results):
    util = plots.metric_vs_param(results, "cpu.idle").axes[0]
    assert util.get_ylim() == (0.0, 1.02) and util.get_ylabel() == "cpu.idle (fraction)"
    assert plots.availability(results).axes[0].get_ylim() == (0.0, 1.02)


def test_metric_vs_categorical_param_draws_one_line_per_core_count(results):
    fig = plots.metric_vs_param(results, "throughput", x="system.architecture")
    assert len(fig.axes[0].lines) == len(CORES)


def test_latency_ecdf_from_percentile_columns_one_step_line_per_design_point(results):
    fig = plots.latency_ecdf(results)
    (ax,) = fig.axes
    assert len(ax.lines) == len(ARCHS) * len(CORES)
    xs, ys = ax.lines[0].get_xdata(), ax.lines[0].get_ydata()
    assert list(ys) == [0.0, 0.5, 0.95, 0.99, 0.99]  # the step approximation
    assert xs[1] == pytest.approx(results.loc[results.design_point == 0, "response_p50"].mean())
    assert "step approximation" in ax.get_title()


def test_latency_ecdf_from_samples_draws_one_line_per_group_ending_at_1(results):
    rng = np.random.default_rng(2)
    samples = pd.DataFrame({"system.architecture": np.repeat(ARCHS, 200),
                            "response": rng.exponential(10, 400)})
    fig = plots.latency_ecdf(results, hue="system.architecture", samples=samples)
    (ax,) = fig.axes
    assert len(ax.lines) == len(ARCHS)
    assert ax.lines[0].get_ydata()[-1] == pytest.approx(1.0)


def test_cpu_breakdown_stacks_non_zero_shares_per_design_point(results):
    fig = plots.cpu_breakdown(results)
    (ax,) = fig.axes
    shares = ["user", "kernel", "server", "ipc", "switch", "idle"]  # spin, sleep: all zero
    assert len(ax.patches) == len(ARCHS) * len(CORES) * len(shares)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == shares
    tops = [p.get_y() + p.get_height() for p in ax.patches[-len(ARCHS) * len(CORES):]]
    assert tops == pytest.approx([1.0] * len(tops))


def test_lock_waits_one_panel_per_statistic_bars_per_lock_and_locked_point(results):
    fig = plots.lock_waits(results)
    assert len(fig.axes) == 2
    for ax in fig.axes:  # microkernel points have no locks: 3 points x 2 locks
        assert len(ax.patches) == len(CORES) * 2


def test_blast_radius_pmf_bars_per_group_and_value():
    rng = np.random.default_rng(3)
    fail = pd.DataFrame({"arch": np.repeat(["mono", "micro"], 100),
                         "blast_radius_components": np.r_[rng.binomial(4, 0.5, 100),
                                                          rng.binomial(4, 0.1, 100)]})
    fig = plots.blast_radius(fail, "arch")
    (ax,) = fig.axes
    span = fail["blast_radius_components"].max() - fail["blast_radius_components"].min() + 1
    assert len(ax.patches) == 2 * span
    mono = ax.patches[:span]  # first group, values min..max
    expected = fail[fail.arch == "mono"]["blast_radius_components"].value_counts(normalize=True)
    assert [p.get_height() for p in mono] == pytest.approx(
        [expected.get(v, 0.0) for v in range(fail["blast_radius_components"].min(),
                                             fail["blast_radius_components"].max() + 1)])
    assert ax.get_ylim() == (0.0, 1.02)


def test_a_blast_radius_never_seen_keeps_its_place_without_a_whisker():
    fail = pd.DataFrame({"arch": ["a"] * 4 + ["b"] * 4,
                         "blast_radius_components": [0, 0, 1, 3, 0, 1, 1, 1]})
    ax = plots.blast_radius(fail, "arch").axes[0]
    assert len(ax.patches) == 2 * 4  # radii 0..3 for both groups; 2 is never seen
    whiskers = [seg for coll in ax.collections for seg in coll.get_segments()]
    zero_length = [s for s in whiskers if s[0][1] == s[1][1]]
    assert len(whiskers) == 8 and len(zero_length) == 3  # a: 2; b: 2 and 3


def test_availability_draws_one_bar_per_design_point(results):
    fig = plots.availability(results)
    assert len(fig.axes[0].patches) == len(ARCHS) * len(CORES)


def test_availability_hue_and_pooled_counts(results):
    df = results.assign(up=990, total=1000)
    fig = plots.availability(df, by="system.cores", hue="system.architecture",
                             counts=("up", "total"))
    ax = fig.axes[0]
    assert len(ax.patches) == len(ARCHS) * len(CORES)
    assert ax.patches[0].get_height() == pytest.approx(0.99)


def test_published_overlay_model_lines_plus_published_lines(results):
    published = pd.DataFrame({"quantity": "throughput", "system": ["monolithic"] * 3,
                              "x": [1, 2, 4], "value": [1e5, 2e5, 3.9e5]})
    other = published.assign(quantity="latency")
    fig = plots.published_overlay(results, pd.concat([published, other]), "system.cores",
                                  "throughput")
    (ax,) = fig.axes
    assert len(ax.lines) == len(ARCHS) + 1
    pub = ax.lines[-1]
    assert list(pub.get_ydata()) == [1e5, 2e5, 3.9e5]
    assert pub.get_color() == ax.lines[0].get_color()  # same colour as the model's monolithic


def test_warmup_plot_series_batch_means_cut_and_statistic():
    x = np.r_[np.linspace(20, 0, 50), np.random.default_rng(1).normal(size=950)]
    cut = mser5(x)
    fig = plots.warmup(x, cut)
    top, bottom = fig.axes
    assert len(top.lines) == 3 and len(bottom.lines) == 1
    assert top.lines[2].get_xdata()[0] == cut.index


def test_theme_is_not_applied_globally(results):
    before = dict(matplotlib.rcParams)
    plots.metric_vs_param(results, "throughput")
    assert dict(matplotlib.rcParams) == before
