"""``kernsim.experiment.sweep``: sweep expansion: grid order and count, zip, sampled designs
(lhs, sobol, saltelli), nested form."""

from __future__ import annotations

import tomllib

import pytest

from kernsim.errors import ConfigError
from kernsim.experiment.load import from_dict
from kernsim.experiment.sweep import MAX_POINTS, expand

BASE = """\
[experiment]
name = "s"
seed = 3
replications = 1
duration = 100

[workload]
interarrival = 10

[components.a]
service = 1

[components.b]
service = 1
"""


def exp(sweep_toml: str):
    return from_dict(tomllib.loads(BASE + sweep_toml))


def test_grid_is_the_full_product_with_the_last_key_varying_fastest():
    points = expand({"x": [1, 2, 3], "y": ["a", "b"]}, seed=0)
    assert points == [
        {"x": 1, "y": "a"}, {"x": 1, "y": "b"},
        {"x": 2, "y": "a"}, {"x": 2, "y": "b"},
        {"x": 3, "y": "a"}, {"x": 3, "y": "b"},
    ]


def test_no_sweep_gives_one_empty_design_point():
    assert expand({}, seed=0) == [{}]


def test_zip_varies_its_keys_together_as_one_axis_of_the_grid():
    points = expand({"x": [1, 2], "zip": {"p": [10, 20, 30], "q": ["u", "v", "w"]}}, seed=0)
    assert points == [
        {"x": 1, "p": 10, "q": "u"}, {"x": 1, "p": 20, "q": "v"}, {"x": 1, "p": 30, "q": "w"},
        {"x": 2, "p": 10, "q": "u"}, {"x": 2, "p": 20, "q": "v"}, {"x": 2, "p": 30, "q": "w"},
    ]


def test_zip_lists_of_unequal_length_are_refused():
    with pytest.raises(ConfigError, match=r"sweep\.zip: lists must be non-empty and of one length"):
        expand({"zip": {"p": [1, 2], "q": [1]}}, seed=0)


@pytest.mark.parametrize("method,n", [("lhs", 7), ("sobol", 8)])
def test_sampled_design_has_n_points_inside_the_ranges(method, n):
    sweep = {"method": method, "n": n, "ranges": {"f": [0.5, 2.5], "k": [1, 9]}}
    points = expand(sweep, seed=42)
    assert len(points) == n
    assert all(set(p) == {"f", "k"} for p in points)
    assert all(0.5 <= p["f"] <= 2.5 and isinstance(p["f"], float) for p in points)
    assert all(1 <= p["k"] <= 9 and type(p["k"]) is int for p in points)


@pytest.mark.parametrize("method", ["lhs", "sobol"])
def test_sampled_design_is_a_function_of_the_seed(method):
    sweep = {"method": method, "n": 4, "ranges": {"f": [0.0, 1.0]}}
    assert expand(sweep, seed=1) == expand(sweep, seed=1)
    assert expand(sweep, seed=1) != expand(sweep, seed=2)


def test_lhs_puts_one_point_in_each_of_n_equal_strata():
    points = expand({"method": "lhs", "n": 10, "ranges": {"f": [0.0, 10.0]}}, seed=5)
    assert sorted(int(p["f"]) for p in points) == list(range(10))


SALTELLI = {"method": "saltelli", "n": 8, "ranges": {"f": [0.5, 2.5], "g": [-1.0, 1.0],
                                                  "k": [1, 9]}}


def test_saltelli_design_is_n_times_d_plus_2_points_in_the_a_ab_b_layout():
    """Per base sample j: A_j, then A_j with parameter i taken from B_j (i = 1..d), then B_j."""
    points = expand(SALTELLI, seed=11)
    d, n = 3, 8
    assert len(points) == n * (d + 2)
    assert all(0.5 <= p["f"] <= 2.5 and -1 <= p["g"] <= 1 and type(p["k"]) is int
               for p in points)
    keys = ["f", "g", "k"]
    for j in range(n):
        block = points[j * (d + 2):(j + 1) * (d + 2)]
        a, b = block[0], block[-1]
        assert a["f"] != b["f"] and a["g"] != b["g"]  # independent halves
        for i, key in enumerate(keys):
            assert block[1 + i] == {**a, key: b[key]}


def test_saltelli_design_is_a_function_of_its_seed_and_not_another_methods_sample():
    assert expand(SALTELLI, seed=1) == expand(SALTELLI, seed=1)
    assert expand(SALTELLI, seed=1) != expand(SALTELLI, seed=2)
    assert expand({**SALTELLI, "seed": 2}, seed=1) == expand(SALTELLI, seed=2)
    sobol = expand({**SALTELLI, "method": "sobol"}, seed=1)
    assert sobol[0] not in expand(SALTELLI, seed=1)  # its own stream


@pytest.mark.parametrize("n", [1, 3, 12])
def test_saltelli_needs_a_power_of_two_base_samples(n):
    with pytest.raises(ConfigError, match=r"^sweep\.n = \d+: method = \"saltelli\" needs a power"):
        expand({**SALTELLI, "n": n}, seed=0)


def test_saltelli_points_are_counted_with_the_d_plus_2_factor_before_any_is_built():
    """4096 base samples of 5 parameters are 28,672 points: refused, though n < the limit."""
    n = 4096
    ranges = {f"p{i}": [0.0, 1.0] for i in range(5)}
    assert n < MAX_POINTS < n * 7
    with pytest.raises(ConfigError, match="28,672 design points"):
        expand({"method": "saltelli", "n": n, "ranges": ranges}, seed=0)


def test_sampled_design_combines_with_the_grid_as_a_product():
    sweep = {"x": [1, 2], "method": "lhs", "n": 3, "ranges": {"f": [0.0, 1.0]}}
    points = expand(sweep, seed=0)
    assert len(points) == 2 * 3
    assert [p["x"] for p in points] == [1, 1, 1, 2, 2, 2]
    assert [p["f"] for p in points[:3]] == [p["f"] for p in points[3:]]


def test_nested_table_sweep_equals_the_quoted_dotted_key_form():
    nested = exp('[sweep]\ncomponents.a.servers = [1, 2]\nworkload.interarrival = [10, 20]\n')
    quoted = exp('[sweep]\n"components.a.servers" = [1, 2]\n"workload.interarrival" = [10, 20]\n')
    assert [p.params for p in nested.points] == [p.params for p in quoted.points] == [
        {"components.a.servers": 1, "workload.interarrival": 10},
        {"components.a.servers": 1, "workload.interarrival": 20},
        {"components.a.servers": 2, "workload.interarrival": 10},
        {"components.a.servers": 2, "workload.interarrival": 20},
    ]


def test_each_design_point_config_carries_its_swept_values():
    e = exp('[sweep]\n"components.b.servers" = [2, 3]\n')
    assert [p.index for p in e.points] == [0, 1]
    assert [p.config.components["b"].servers for p in e.points] == [2, 3]
    assert [p.config.components["a"].servers for p in e.points] == [1, 1]
    assert e.config.components["b"].servers == 1


def test_sampled_integer_range_reaches_the_design_point_config():
    e = exp('[sweep]\nmethod = "lhs"\nn = 4\n[sweep.ranges]\n"components.a.servers" = [1, 4]\n')
    servers = [p.config.components["a"].servers for p in e.points]
    assert len(servers) == 4 and all(1 <= s <= 4 for s in servers)
    assert servers == [p.params["components.a.servers"] for p in e.points]
