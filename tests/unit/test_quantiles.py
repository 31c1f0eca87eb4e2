"""Quantiles: bounded-memory percentiles against exact numpy ones, and flat model memory."""

import gc
import math
import tracemalloc

import numpy as np
import pytest

from kernsim.engine.monitor import Quantiles
from kernsim.engine.streams import Streams

ROUNDING = 1e-9  # float rounding at bucket edges, relative to the stated bound
QS = (0, 0.1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100)


def data_sets(n: int) -> dict[str, np.ndarray]:
    rng = Streams(np.random.SeedSequence(11)).get("test.quantiles")
    return {
        "exponential": rng.exponential(3.0, n),
        "lognormal, heavy tail": rng.lognormal(0.0, 2.5, n),
        "uniform": rng.uniform(5.0, 6.0, n),
        "normal, both signs": rng.normal(0.0, 1.0, n),
        "constant": np.full(n, 3.7),
        "tie-heavy integers": rng.integers(0, 6, n).astype(float),
        "mostly zeros": np.where(rng.random(n) < 0.9, 0.0, rng.exponential(1.0, n)),
        "tiny and huge": rng.lognormal(0.0, 15.0, n),
    }


def fill(values: np.ndarray, **kw) -> Quantiles:
    q = Quantiles(**kw)
    for x in values:
        q.add(float(x))
    return q


def bound(data: np.ndarray, p: float, alpha: float) -> float:
    """The stated bound: alpha·((1−t)|a| + t|b|) around numpy's linear percentile."""
    s = np.sort(data)
    h = (len(s) - 1) * p / 100
    k = math.floor(h)
    t = h - k
    a, b = s[k], s[min(k + 1, len(s) - 1)]
    return alpha * ((1 - t) * abs(a) + t * abs(b)) * (1 + ROUNDING)


@pytest.mark.parametrize("alpha", [5e-4, 1e-2])
@pytest.mark.parametrize("name", list(data_sets(1)))
def test_percentiles_within_stated_relative_error(name, alpha):
    data = data_sets(20_011)[name]
    q = fill(data, alpha=alpha, exact=512)  # far past the exact block: the histogram answers
    for p in QS:
        exact = float(np.percentile(data, p))
        assert abs(q.percentile(p) - exact) <= bound(data, p, alpha), (name, p, q.percentile(p), exact)


@pytest.mark.parametrize("name", list(data_sets(1)))
def test_extremes_zeros_and_constant_data_are_exact(name):
    data = data_sets(5_003)[name]
    q = fill(data, exact=64)
    assert q.percentile(0) == data.min() and q.percentile(100) == data.max()
    if name == "constant":
        assert all(q.percentile(p) == 3.7 for p in QS)
    if name == "mostly zeros":
        assert q.percentile(50) == 0.0 == np.percentile(data, 50)


def test_the_bound_can_fail_a_coarse_sketch_misses_a_fine_bound():
    """The check above is not vacuous: alpha = 5% answers are off by more than 0.05%."""
    data = data_sets(20_011)["exponential"]
    q = fill(data, alpha=0.05, exact=512)
    assert any(abs(q.percentile(p) - np.percentile(data, p)) > bound(data, p, 5e-4) for p in QS)


def test_up_to_the_exact_block_everything_is_numpy_bit_for_bit():
    q = Quantiles()
    data = data_sets(q.exact)["lognormal, heavy tail"]
    for x in data:
        q.add(float(x))
    assert q.mean == float(np.mean(data))
    assert q.variance == float(np.var(data, ddof=1))
    for p in QS:
        assert q.percentile(p) == float(np.percentile(data, p))


@pytest.mark.parametrize("name", ["exponential", "normal, both signs", "tiny and huge"])
def test_mean_and_variance_past_the_block(name):
    data = data_sets(30_001)[name]
    q = fill(data, exact=1000)
    assert q.count == len(data)
    assert math.isclose(q.mean, math.fsum(data) / len(data), rel_tol=1e-12, abs_tol=1e-15)
    assert math.isclose(q.variance, float(np.var(data, ddof=1)), rel_tol=1e-9)


def test_memory_does_not_grow_with_the_count():
    rng = Streams(np.random.SeedSequence(12)).get("test.quantiles.memory")
    q = Quantiles(exact=1000)
    sizes = []
    for _ in range(5):
        for x in rng.exponential(1.0, 40_000):
            q.add(float(x))
        sizes.append(len(q._hist[0].counts))
        assert len(q._block) <= q.exact
    lo, hi = q.percentile(0), q.percentile(100)
    assert sizes[-1] <= math.log(hi / lo) / q._lg + 2  # one counter per bucket in the range


def test_merge_is_adding_the_values():
    data = data_sets(9_000)["exponential"]
    whole = fill(data, exact=500)
    parts = [fill(chunk, exact=500) for chunk in np.array_split(data, 3)]
    merged = Quantiles(exact=500)
    for part in parts:
        merged.merge(part)
    assert merged.count == whole.count
    assert all(merged.percentile(p) == whole.percentile(p) for p in QS)
    assert math.isclose(merged.mean, whole.mean, rel_tol=1e-13)
    small = Quantiles()
    for part in [fill(c) for c in np.array_split(data[:3000], 3)]:
        small.merge(part)  # still within one block: exact, as numpy on the concatenation
    assert small.percentile(99) == float(np.percentile(data[:3000], 99))


def test_empty_reset_and_bad_input():
    q = Quantiles()
    assert q.count == 0 and math.isnan(q.mean) and math.isnan(q.percentile(50))
    q.add(1.0)
    assert math.isnan(q.variance)
    q.reset()
    assert q.count == 0
    for bad in (0.0, 0.5, -1.0):
        with pytest.raises(ValueError, match="alpha"):
            Quantiles(alpha=bad)
    with pytest.raises(ValueError, match="exact"):
        Quantiles(exact=0)
    with pytest.raises(ValueError, match="q"):
        q.percentile(101)
    q = Quantiles(exact=2)
    with pytest.raises(ValueError, match="finite"):
        for x in (1.0, math.nan, 2.0):  # checked when the block goes to the histogram
            q.add(x)
    with pytest.raises(ValueError, match="alpha"):
        Quantiles().merge(Quantiles(alpha=0.01))


def test_os_model_memory_is_flat_in_simulated_time():
    """Past the first block, a longer run keeps no per-request values: the tracemalloc
    peak grows by less than one float per extra request (keeping each response time in
    the overall and the per-class tallies would cost 16 bytes per request)."""
    from kernsim.build import Model
    from kernsim.experiment.load import from_dict

    def run(duration: float) -> tuple[int, int]:
        raw = {"experiment": {"name": "mem", "replications": 1, "duration": duration},
               "system": {"architecture": "monolithic", "cores": 2, "trap": "0.1us",
                          "lock": {"kind": "mcs", "c": "0.05us"}},
               "workload": {"kind": "closed", "clients": 8, "think": "5us",
                            "classes": {"a": {"share": 0.5, "path": ["x"]},
                                        "b": {"share": 0.5, "path": ["x"]}}},
               "components": {"x": {"service": {"dist": "exponential", "mean": "1us"},
                                    "critical": "0.2us"}}}
        model = Model(from_dict(raw).config, Streams(np.random.SeedSequence(3)))
        gc.collect()
        tracemalloc.start()
        try:
            out = model.run()
            return int(out["completed"]), tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    run(2_000.0)  # imports and caches
    n1, peak1 = run(20_000.0)
    n2, peak2 = run(60_000.0)
    assert n1 > Quantiles().exact  # past the exact block already
    assert peak2 - peak1 < 8 * (n2 - n1), (n1, peak1, n2, peak2)
