"""``kernsim.analysis.latency``: the ``latency_histogram`` samples table of every
request-level replication, and the ECDF the report draws from it."""

import numpy as np
import pytest

import kernsim
from kernsim.analysis.latency import bracket, ecdf_plot, histograms, pooled_ecdf

WINDOW_US = 1000.0  # the quickstart fixture: measured for 1 ms after a 0.2 ms warm-up


@pytest.fixture(scope="module")
def hist(quickstart):
    return histograms(kernsim.load_samples(quickstart, "latency_histogram"))


def test_histogram_counts_sum_to_the_requests_completed_in_the_window(quickstart, hist):
    """throughput is computed as completions in the window / window · 10⁶: the
    histogram's count, put through the same arithmetic, gives it bit for bit."""
    df = kernsim.load_results(quickstart).set_index(["design_point", "replication"])
    counts = hist.groupby(["design_point", "replication"])["count"].sum()
    assert set(counts.index) == set(df.index) and len(counts) == 16
    assert (counts / WINDOW_US * 1e6).tolist() == df.loc[counts.index, "throughput"].tolist()


@pytest.mark.parametrize("pct", [50, 95, 99])
def test_histogram_quantiles_agree_with_the_percentile_metrics_within_a_bucket(
        quickstart, hist, pct):
    """response_pNN lies between the lower edge of the bucket of its order statistic and
    the upper edge of the next one's; those buckets are adjacent or the same, so the
    histogram's quantile is off by at most one bucket width."""
    df = kernsim.load_results(quickstart).set_index(["design_point", "replication"])
    for key, rows in hist.groupby(["design_point", "replication"]):
        lower, upper = rows["lower"].to_numpy(), rows["upper"].to_numpy()
        lo, hi = bracket(lower, upper, rows["count"].to_numpy(), pct / 100)
        value = df.loc[key, f"response_p{pct}"]
        assert lo <= value <= hi, (key, lo, value, hi)
        first, second = np.searchsorted(lower, lo), np.searchsorted(upper, hi)
        gap = np.isclose(upper[first:second], lower[first + 1:second + 1], rtol=1e-12)
        assert gap.all()  # no empty bucket in between: [lo, hi] is at most two buckets


def test_pooled_ecdf_adds_replications_and_ends_at_one(hist):
    pooled = pooled_ecdf(hist)
    assert pooled.groupby("design_point")["count"].sum().tolist() == \
        hist.groupby("design_point")["count"].sum().tolist()
    last = pooled.groupby("design_point")["ecdf"].last()
    assert (last == 1.0).all()
    assert (pooled.groupby("design_point")["ecdf"].diff().dropna() > 0).all()


def test_ecdf_plot_draws_one_line_per_design_point_with_units(quickstart):
    hist = histograms(kernsim.load_samples(quickstart, "latency_histogram"))
    fig = ecdf_plot(hist, hue="system.architecture", style="system.cores")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 8
    assert ax.get_xlabel() == "response time (µs)" and ax.get_ylim() == (0.0, 1.02)
    assert max(line.get_ydata()[-1] for line in ax.get_lines()) == 1.0
    with pytest.raises(ValueError, match="latency_histogram"):
        ecdf_plot(hist.iloc[0:0])
