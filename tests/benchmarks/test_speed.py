"""Speed benchmarks (pytest-benchmark) of the ``kernsim bench`` rows (a), (b), (b′), (c),
(e), (e′).

Not part of ``make test`` (``norecursedirs`` in pyproject.toml). Run with

    .venv/bin/python -m pytest tests/benchmarks -p no:xdist --benchmark-only

(pytest-benchmark turns itself off under xdist.) Divide customers (or requests) per second,
``extra_info["customers"]`` / mean time, for issue 17's ratios: (c) ÷ (b′)
``model_vs_callback_simpy``, (e) ÷ (e′) ``os_model_vs_handwritten_os``. Nothing here
asserts a speed.
"""

from __future__ import annotations

import pytest

from kernsim.bench import rows
from kernsim.bench import runs as bench
from kernsim.engine.streams import task_seed

BARE_EVENTS = 200_000
CUSTOMERS = 50_000


@pytest.fixture(scope="module")
def options() -> rows.BenchOptions:
    return rows.BenchOptions(customers=CUSTOMERS)


def test_a_bare_simpy_loop(benchmark):
    benchmark.extra_info["events"] = BARE_EVENTS
    benchmark.pedantic(bench.bare_timeout_loop, args=(BARE_EVENTS,), rounds=5, iterations=1)


def test_b_handwritten_simpy_mmc(benchmark):
    result = benchmark.pedantic(bench.handwritten_mmc, args=(CUSTOMERS, task_seed(2026, 0)),
                                rounds=3, iterations=1)
    benchmark.extra_info["customers"] = result.customers
    assert result.customers == CUSTOMERS


def test_b2_callback_simpy_mmc(benchmark):
    result = benchmark.pedantic(bench.callback_mmc, args=(CUSTOMERS, task_seed(2026, 0)),
                                rounds=5, iterations=1)
    benchmark.extra_info["customers"] = result.customers
    assert result.customers == CUSTOMERS


def test_c_kernsim_mmc(benchmark, options):
    config = bench.mmc_config(options.mmc_file, CUSTOMERS)
    result = benchmark.pedantic(bench.kernsim_run, args=(config, task_seed(2026, 0)),
                                rounds=3, iterations=1)
    benchmark.extra_info["customers"] = result.customers
    assert result.customers > 0


def test_e_quickstart(benchmark, options):
    case = bench.first_point_case(options.quickstart_file)
    result = benchmark.pedantic(bench.kernsim_run, args=(case.config, case.seed),
                                rounds=5, iterations=1)
    benchmark.extra_info["customers"] = result.customers
    assert result.customers > 0


def test_e2_handwritten_os(benchmark, options):
    case = bench.first_point_case(options.quickstart_file)
    params = bench.handwritten_os_params(case.config)
    result = benchmark.pedantic(bench.handwritten_os_run, args=(params, case.seed),
                                rounds=5, iterations=1)
    benchmark.extra_info["customers"] = result.customers
    assert result.customers > 0
