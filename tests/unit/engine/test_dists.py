"""``kernsim.engine.dists``: moments, shape (KS), samplers, constructors, scaling, to_dict."""

import math

import numpy as np
import pytest
from scipy import stats

from kernsim.engine.dists import (
    DISTRIBUTIONS,
    Constant,
    DistError,
    Distribution,
    Empirical,
    Erlang,
    Exponential,
    Gamma,
    HyperExponential,
    LogNormal,
    Normal,
    Uniform,
    Weibull,
    scale,
)
from kernsim.engine.spec import from_config

N = 200_000
Z = stats.norm.ppf(1 - 0.001 / 2)  # two-sided 99.9%
SEED = 20240611


def hyperexp_cdf(probs, means):
    p, m = np.array(probs), np.array(means)
    return lambda x: 1.0 - np.exp(-np.asarray(x)[..., None] / m) @ p


# (distribution, matching scipy cdf built independently from the documented parameterisation)
CASES = {
    "exponential": (Exponential(5.0), stats.expon(scale=5.0).cdf),
    "uniform": (Uniform(1.0, 3.0), stats.uniform(loc=1.0, scale=2.0).cdf),
    "normal-truncated": (Normal(2.0, 3.0), stats.truncnorm(-2 / 3, np.inf, loc=2.0, scale=3.0).cdf),
    "normal-untruncated": (Normal(20.0, 2.0), stats.norm(20.0, 2.0).cdf),
    "lognormal": (LogNormal(5.0, 0.8),
                  stats.lognorm(s=math.sqrt(math.log(1.64)), scale=5.0 / math.sqrt(1.64)).cdf),
    "gamma": (Gamma(5.0, 0.5), stats.gamma(a=4.0, scale=1.25).cdf),
    "gamma-cv2": (Gamma(5.0, 2.0), stats.gamma(a=0.25, scale=20.0).cdf),
    "weibull": (Weibull(1.5, 4.0), stats.weibull_min(c=1.5, scale=4.0).cdf),
    "weibull-heavy": (Weibull(0.7, 4.0), stats.weibull_min(c=0.7, scale=4.0).cdf),
    "erlang": (Erlang(3, 6.0), stats.erlang(3, scale=2.0).cdf),
    "hyperexponential": (HyperExponential([0.3, 0.7], [1.0, 10.0]),
                         hyperexp_cdf([0.3, 0.7], [1.0, 10.0])),
    "empirical": (Empirical([1.0, 2.0, 2.0, 7.5]), None),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    dist, cdf = CASES[request.param]
    return dist, cdf, dist.sample_n(np.random.default_rng(SEED), N)


def test_sample_mean_within_ci(case):
    dist, _, x = case
    assert abs(x.mean() - dist.mean) <= Z * math.sqrt(dist.variance / N)


def test_sample_variance_within_ci(case):
    # Var(s^2) ~ (mu4 - sigma^4) / n; mu4 estimated by the sample 4th central moment.
    dist, _, x = case
    s2 = x.var(ddof=1)
    m4 = np.mean((x - x.mean()) ** 4)
    assert abs(s2 - dist.variance) <= Z * math.sqrt((m4 - s2**2) / N)


@pytest.mark.parametrize("name", [name for name, (_, cdf) in CASES.items() if cdf is not None])
def test_samples_follow_the_documented_cdf_by_kolmogorov_smirnov(name):
    dist, cdf = CASES[name]
    x = dist.sample_n(np.random.default_rng(SEED + 4), N)
    assert stats.kstest(x, cdf).pvalue > 0.001


def test_samples_nonnegative_float_array(case):
    _, _, x = case
    assert x.dtype == np.float64 and x.shape == (N,)
    assert (x >= 0).all()


def test_exponential_mean_chi_square():
    # 2 n xbar / mean ~ chi2(2n) exactly for exponential samples.
    x = Exponential(5.0).sample_n(np.random.default_rng(SEED + 1), N)
    statistic = 2 * N * x.mean() / 5.0
    lo, hi = stats.chi2(2 * N).ppf([0.0005, 0.9995])
    assert lo <= statistic <= hi


def test_empirical_frequencies():
    x = Empirical([1.0, 2.0, 2.0, 7.5]).sample_n(np.random.default_rng(SEED + 2), N)
    counts = [np.sum(x == v) for v in (1.0, 2.0, 7.5)]
    assert sum(counts) == N
    assert stats.chisquare(counts, [N / 4, N / 2, N / 4]).pvalue > 0.001


@pytest.mark.parametrize("dist", [Exponential(5.0), Constant(3.0)])
def test_one_at_a_time_sample_is_a_float_with_the_stated_mean(dist):
    rng = np.random.default_rng(SEED + 3)
    x = np.array([dist.sample(rng) for _ in range(20_000)])
    assert isinstance(dist.sample(rng), float)
    assert abs(x.mean() - dist.mean) <= Z * math.sqrt(dist.variance / x.size)


@pytest.mark.parametrize("name", list(CASES))
def test_default_sample_is_first_of_sample_n(name):
    dist = CASES[name][0]
    one = dist.sample(np.random.default_rng(5))
    if isinstance(dist, Exponential):
        assert one == np.random.default_rng(5).standard_exponential() * 5.0
    else:
        assert one == dist.sample_n(np.random.default_rng(5), 1)[0]


@pytest.mark.parametrize("name", list(CASES))
def test_sampler_matches_sample_n(name):
    dist = CASES[name][0]
    draw = dist.sampler(np.random.default_rng(11), block=100)
    got = [draw() for _ in range(350)]
    ref = np.random.default_rng(11)
    expected = np.concatenate([dist.sample_n(ref, 100) for _ in range(4)])[:350]
    assert got == expected.tolist()
    assert all(type(v) is float for v in got)


def test_constant_sampler_uses_no_rng():
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    draw = Constant(4.5).sampler(rng)
    assert [draw() for _ in range(3000)] == [4.5] * 3000
    assert Constant(4.5).sample(rng) == 4.5
    np.testing.assert_array_equal(Constant(4.5).sample_n(rng, 3), [4.5] * 3)
    assert rng.bit_generator.state == state


def test_sampler_block_validation():
    with pytest.raises(DistError, match="block"):
        Exponential(1.0).sampler(np.random.default_rng(), block=0)


def test_known_moments():
    assert (Constant(3.0).mean, Constant(3.0).variance, Constant(3.0).cv) == (3.0, 0.0, 0.0)
    assert Constant(0.0).cv == 0.0
    assert Exponential(4.0).variance == 16.0 and Exponential(4.0).cv == 1.0
    assert Uniform(1.0, 3.0).variance == pytest.approx(1 / 3)
    assert Gamma(5.0, 0.5).variance == pytest.approx(6.25)
    assert LogNormal(5.0, 0.8).cv == pytest.approx(0.8)
    assert Weibull(1.0, 3.0).mean == pytest.approx(3.0)
    assert Weibull(1.0, 3.0).variance == pytest.approx(9.0)
    assert Weibull(2.0, 1.0).mean == pytest.approx(math.sqrt(math.pi) / 2)
    assert Erlang(4, 8.0).variance == pytest.approx(16.0)
    assert HyperExponential([0.5, 0.5], [1.0, 3.0]).variance == pytest.approx(10.0 - 4.0)
    assert Empirical([1, 2, 3]).variance == pytest.approx(2 / 3)


def test_normal_moments_are_truncated():
    mu, sd = 2.0, 3.0
    a = -mu / sd
    lam = stats.norm.pdf(a) / stats.norm.sf(a)  # closed form, independent of truncnorm
    dist = Normal(mu, sd)
    assert dist.mean == pytest.approx(mu + sd * lam, rel=1e-12)
    assert dist.variance == pytest.approx(sd**2 * (1 + a * lam - lam**2), rel=1e-12)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: Constant(-1.0), "value: got -1.0; must be >= 0"),
        (lambda: Exponential(0.0), "mean: got 0.0; must be > 0"),
        (lambda: Exponential("5us"), "mean: got '5us'"),
        (lambda: Uniform(3.0, 1.0), "high: got 1.0; must be >= low"),
        (lambda: Uniform(-1.0, 1.0), "low: got -1.0"),
        (lambda: Normal(1.0, 0.0), "sd: got 0.0; must be > 0"),
        (lambda: LogNormal(5.0, -0.5), "cv: got -0.5; must be > 0"),
        (lambda: Gamma(5.0, math.nan), "cv: got nan; must be a finite number"),
        (lambda: Weibull(0.0, 1.0), "shape: got 0.0"),
        (lambda: Erlang(2.5, 1.0), "k: got 2.5; must be an integer >= 1"),
        (lambda: Erlang(0, 1.0), "k: got 0"),
        (lambda: HyperExponential([0.5, 0.6], [1.0, 2.0]), "probs: got [0.5, 0.6]"),
        (lambda: HyperExponential([0.5, 0.5], [1.0]), "means: got 1 values"),
        (lambda: HyperExponential([1.5, -0.5], [1.0, 2.0]), "probs[1]: got -0.5"),
        (lambda: HyperExponential([], []), "probs: got an empty list"),
        (lambda: Empirical([]), "values: got an empty list"),
        (lambda: Empirical([1.0, -2.0]), "values[1]: got -2.0"),
    ],
)
def test_constructor_errors(make, fragment):
    with pytest.raises(DistError) as info:
        make()
    assert fragment in str(info.value)


@pytest.mark.parametrize("name", list(CASES))
def test_to_dict_round_trip(name):
    dist = CASES[name][0]
    again = from_config(dist.to_dict())
    assert again.to_dict() == dist.to_dict()
    assert repr(again) == repr(dist)


def test_registry_holds_every_family_under_its_own_name():
    assert set(DISTRIBUTIONS) == {
        "constant", "exponential", "uniform", "normal", "lognormal", "gamma", "weibull",
        "erlang", "hyperexponential", "empirical"}
    for name, cls in DISTRIBUTIONS.items():
        assert issubclass(cls, Distribution) and cls.name == name and cls.keys


def test_from_csv_first_numeric_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("op,lat_us,size\nread,1.5,10\nwrite,2.5,20\n\nread,3,30\n")
    assert Empirical.from_csv(path).values.tolist() == [1.5, 2.5, 3.0]
    assert Empirical.from_csv(str(path), column="size").values.tolist() == [10.0, 20.0, 30.0]
    with pytest.raises(DistError, match="'op'.*not all numeric"):
        Empirical.from_csv(path, column="op")
    path.write_text("op\nread\n")
    with pytest.raises(DistError, match="no numeric column"):
        Empirical.from_csv(path)


@pytest.mark.parametrize("name", list(CASES))
def test_scale_keeps_the_family_and_cv_and_scales_mean_and_variance(name):
    dist = CASES[name][0]
    scaled = scale(dist, 2.5)
    assert type(scaled) is type(dist)
    assert scaled.mean == pytest.approx(2.5 * dist.mean, rel=1e-12)
    assert scaled.variance == pytest.approx(2.5**2 * dist.variance, rel=1e-12)
    assert scaled.cv == pytest.approx(dist.cv, rel=1e-12)


def test_scale_rejects_bad_factor():
    with pytest.raises(DistError, match="factor: got 0; must be > 0"):
        scale(Exponential(1.0), 0)


def test_repr_shows_the_parameters():
    assert repr(LogNormal(5.0, 0.8)) == "LogNormal(mean=5.0, cv=0.8)"
    assert repr(HyperExponential([1.0], [2.0])) == "HyperExponential(probs=[1.0], means=[2.0])"
    assert "3 values" in repr(Empirical([1, 2, 3]))


@pytest.mark.parametrize("spec", [
    {"dist": "weibull", "shape": 1e-300, "scale": "5us"},
    {"dist": "lognormal", "mean": "5us", "cv": 1e200},
    {"dist": "hyperexponential", "means": ["1us", "1e300us"], "probs": [0.5, 0.5]},
    {"dist": "gamma", "mean": "1e300us", "cv": 1e10},
], ids=["weibull-tiny-shape", "lognormal-huge-cv", "hyperexp-huge-mean", "gamma-huge-var"])
def test_parameters_whose_moments_overflow_are_refused_naming_them(spec, recwarn):
    with pytest.raises(DistError, match="overflows a float"):
        from_config(spec)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
