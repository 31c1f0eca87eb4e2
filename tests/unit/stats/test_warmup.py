"""``kernsim.stats.warmup``: MSER-5 warm-up detection."""

import numpy as np
import pandas as pd
import pytest
from scipy.signal import lfilter

from kernsim.stats.warmup import batch_series, mser5, mser_statistic, truncate

PHI, OFFSET = 0.9, 50.0


def ar1_with_transient(seed: int, n: int = 5000) -> np.ndarray:
    """AR(1) (phi 0.9, unit innovations, stationary sd 2.29) started 50 above its mean of 0.

    The offset decays as 50 * 0.9^t: above 10 (4.5 stationary sd) until t = 15,
    below 1 from t = 38 on.
    """
    e = np.random.default_rng(seed).normal(size=n)
    return lfilter([1.0], [1.0, -PHI], e) + OFFSET * PHI ** np.arange(n)


def test_mser5_finds_injected_transient_fixed_seed():
    cut = mser5(ar1_with_transient(2026))
    assert 15 <= cut.index <= 250 and cut.reliable
    assert cut.index == 5 * cut.batches


def test_mser5_finds_injected_transient_for_100_seeds():
    # stated range: drop at least the part where the offset is > 4.5 sd (t < 15)
    # and at most 5% of the run (250 of 5000)
    cuts = np.array([mser5(ar1_with_transient(seed)).index for seed in range(100)])
    assert cuts.min() >= 15 and cuts.max() <= 250, (cuts.min(), cuts.max())


def test_mser5_truncation_removes_the_bias_of_the_mean():
    # the transient biases a 5000-long mean by 50 / (1 - 0.9) / 5000 = 0.1; averaged over
    # 100 seeds (standard error 0.014) the truncated means must lose most of it
    full, kept = [], []
    for seed in range(100):
        x = ar1_with_transient(seed)
        full.append(x.mean())
        kept.append(truncate(x, mser5(x)).mean())
    assert np.mean(full) == pytest.approx(0.1, abs=0.05)
    assert abs(np.mean(kept)) < 0.05


def test_mser5_returns_time_label_of_a_series():
    x = ar1_with_transient(3)
    series = pd.Series(x, index=np.arange(len(x)) * 0.5)  # time in ms
    cut = mser5(series)
    assert cut.time == pytest.approx(0.5 * cut.index)
    assert truncate(series, cut).index[0] == cut.time


def test_mser_statistic_matches_definition():
    z = np.random.default_rng(1).normal(size=30)
    stat = mser_statistic(z)
    for d in (0, 7, 20):
        kept = z[d:]
        assert stat[d] == pytest.approx(((kept - kept.mean()) ** 2).sum() / len(kept) ** 2)
    assert len(stat) == 29


def test_batch_series_drops_short_last_batch():
    assert batch_series(np.arange(12.0), 5).tolist() == [2.0, 7.0]


def test_mser5_flags_a_run_too_short_for_its_transient():
    x = np.linspace(100.0, 0.0, 400)  # a trend over the whole run: no steady state
    assert not mser5(x).reliable
