"""``kernsim.engine.spec``: a distribution from its config form (a constant, a duration,
a table naming its ``dist``, a CSV file), and the errors that name the key."""

import numpy as np
import pytest
from experiment_files import ROOT

from kernsim.engine import dists
from kernsim.engine.spec import from_config

EXAMPLE = ROOT / "data" / "examples"


def test_from_config_constants():
    assert from_config(5).to_dict() == {"dist": "constant", "value": 5.0}
    assert from_config(2.5).to_dict() == {"dist": "constant", "value": 2.5}
    assert from_config("2ms").to_dict() == {"dist": "constant", "value": 2000.0}
    dist = dists.Exponential(1.0)
    assert from_config(dist) is dist


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"dist": "constant", "value": "3us"}, dists.Constant(3.0)),
        ({"dist": "exponential", "mean": "1ms"}, dists.Exponential(1000.0)),
        ({"dist": "exponential", "rate": 0.25}, dists.Exponential(4.0)),
        ({"dist": "uniform", "low": 0, "high": "1 ms"}, dists.Uniform(0.0, 1000.0)),
        ({"dist": "normal", "mean": "10us", "sd": 2}, dists.Normal(10.0, 2.0)),
        ({"dist": "lognormal", "mean": "5us", "cv": 0.8}, dists.LogNormal(5.0, 0.8)),
        ({"dist": "gamma", "mean": 5, "cv": 2}, dists.Gamma(5.0, 2.0)),
        ({"dist": "weibull", "shape": 1.5, "scale": "4000ns"}, dists.Weibull(1.5, 4.0)),
        ({"dist": "erlang", "k": 3, "mean": "6us"}, dists.Erlang(3, 6.0)),
        ({"dist": "hyperexponential", "probs": [0.3, 0.7], "means": ["1us", 10]},
         dists.HyperExponential([0.3, 0.7], [1.0, 10.0])),
        ({"dist": "empirical", "values": ["1us", 2, 3.5]}, dists.Empirical([1.0, 2.0, 3.5])),
    ],
)
def test_from_config_families(config, expected):
    dist = from_config(config)
    assert type(dist) is type(expected)
    assert dist.to_dict() == expected.to_dict()


@pytest.mark.parametrize(
    ("config", "fragments"),
    [
        ({"dist": "pareto", "mean": 1}, ["'pareto'", "constant, exponential", "empirical"]),
        ({"mean": 1}, ["missing key 'dist'"]),
        ({"dist": "lognormal", "mean": 5}, ["cv: missing key", "required: mean, cv"]),
        ({"dist": "gamma", "mean": 5, "cv": 1, "sd": 1}, ["sd: unknown key", "allowed: mean, cv"]),
        ({"dist": "lognormal", "mean": 5, "cv": -0.5}, ["cv: got -0.5; must be > 0"]),
        ({"dist": "lognormal", "mean": 5, "cv": "0.5"}, ["cv: got '0.5'; must be a finite number"]),
        ({"dist": "lognormal", "mean": "5 weeks", "cv": 1}, ["mean:", "'weeks'", "ns, us, µs"]),
        ({"dist": "uniform", "low": "-1us", "high": 1}, ["low:", ">= 0"]),
        ({"dist": "exponential"}, ["exactly one of 'mean' or 'rate'"]),
        ({"dist": "exponential", "mean": 1, "rate": 1}, ["exactly one of 'mean' or 'rate'"]),
        ({"dist": "exponential", "rate": 0}, ["rate: got 0.0; must be > 0"]),
        ({"dist": "exponential", "mean": 0}, ["mean: got 0.0; must be > 0"]),
        ({"dist": "erlang", "k": 2.0, "mean": 1}, ["k: got 2.0; must be an integer"]),
        ({"dist": "erlang", "k": True, "mean": 1}, ["k: got True"]),
        ({"dist": "weibull", "shape": True, "scale": 1}, ["shape: got True"]),
        ({"dist": "hyperexponential", "probs": "0.5", "means": [1]}, ["probs: got '0.5'"]),
        ({"dist": "hyperexponential", "probs": [1.0], "means": ["x"]}, ["means[0]:", '"x"']),
        ({"dist": "empirical", "values": []}, ["values: got an empty list"]),
        ({"dist": "empirical"}, ["exactly one of 'file' or 'values'"]),
        ({"dist": "empirical", "values": [1], "file": "a.csv"}, ["exactly one of 'file'"]),
        ({"dist": "empirical", "values": [1], "column": "x"}, ["column:"]),
        ({"dist": "empirical", "file": "nope.csv"}, ["file:", "nope.csv", "not found"]),
        ({"dist": "empirical", "file": 3}, ["file: got 3; must be a string"]),
        ({"dist": "empirical", "file": "service_times.csv", "column": "x"},
         ["column: got 'x'", "service_times.csv"]),
        (True, ["True"]),
        ([1, 2], ["[1, 2]"]),
    ],
)
def test_from_config_errors(config, fragments):
    with pytest.raises(dists.DistError) as info:
        from_config(config, base_dir=EXAMPLE)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_example_data_matches_documented_recipe():
    dist = from_config({"dist": "empirical", "file": "service_times.csv"}, base_dir=EXAMPLE)
    recipe = dists.LogNormal(mean=5.0, cv=0.8).sample_n(np.random.default_rng(1), 200)
    np.testing.assert_allclose(dist.values, recipe, rtol=0, atol=5e-7)
