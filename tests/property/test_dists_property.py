"""Property tests: every valid distribution agrees with its own mean and variance."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kernsim.engine.dists import (
    Constant,
    Empirical,
    Erlang,
    Exponential,
    Gamma,
    HyperExponential,
    LogNormal,
    Normal,
    Uniform,
    Weibull,
)
from kernsim.engine.units import format_duration, parse_duration

N = 20_000
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)

times = st.floats(min_value=1e-3, max_value=1e6)
seeds = st.integers(min_value=0, max_value=2**64 - 1)


@st.composite
def hyperexponentials(draw):
    size = draw(st.integers(1, 4))
    weights = draw(st.lists(st.floats(0.01, 1.0), min_size=size, max_size=size))
    means = draw(st.lists(times, min_size=size, max_size=size))
    return HyperExponential([w / math.fsum(weights) for w in weights], means)


@st.composite
def uniforms(draw):
    low = draw(st.floats(0.0, 1e6))
    return Uniform(low, low + draw(st.floats(0.0, 1e6)))


# Ranges keep the 4th moment moderate so the CLT holds well at N draws.
families = st.one_of(
    st.builds(Constant, st.floats(0.0, 1e9)),
    st.builds(Exponential, times),
    uniforms(),
    st.builds(Normal, st.floats(0.0, 1e6), times),
    st.builds(LogNormal, times, st.floats(0.05, 1.5)),
    st.builds(Gamma, times, st.floats(0.05, 3.0)),
    st.builds(Weibull, st.floats(0.5, 5.0), times),
    st.builds(Erlang, st.integers(1, 30), times),
    hyperexponentials(),
    st.builds(Empirical, st.lists(st.floats(0.0, 1e6), min_size=1, max_size=50)),
)


@SETTINGS
@given(dist=families, seed=seeds)
def test_sample_mean_within_five_standard_errors(dist, seed):
    x = dist.sample_n(np.random.default_rng(seed), N)
    # Allow a few ulps on top for zero-variance cases (constant, Uniform(a, a)).
    slack = 5 * math.sqrt(dist.variance / N) + 1e-12 * dist.mean
    assert abs(x.mean() - dist.mean) <= slack


@SETTINGS
@given(dist=families, seed=seeds)
def test_samples_nonnegative(dist, seed):
    rng = np.random.default_rng(seed)
    assert (dist.sample_n(rng, N) >= 0).all()
    draw = dist.sampler(rng, block=64)
    assert min(draw() for _ in range(200)) >= 0


@SETTINGS
@given(dist=families)
def test_moments_consistent(dist):
    assert dist.mean >= 0 and dist.variance >= 0
    assert math.isclose(dist.cv * dist.mean, math.sqrt(dist.variance), rel_tol=1e-9)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.floats(min_value=0.0, max_value=1e300, allow_subnormal=False))
def test_format_parse_round_trip(us):
    assert math.isclose(parse_duration(format_duration(us)), us, rel_tol=1e-9)


UNITS = {"ns": 1e-3, "us": 1.0, "µs": 1.0, "ms": 1e3, "s": 1e6, "min": 60e6, "h": 3600e6}


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.floats(min_value=0.0, max_value=1e12), st.sampled_from(sorted(UNITS)),
       st.sampled_from(["", " "]))
def test_parse_with_unit(x, unit, space):
    assert math.isclose(parse_duration(f"{x!r}{space}{unit}"), x * UNITS[unit], rel_tol=1e-15)
