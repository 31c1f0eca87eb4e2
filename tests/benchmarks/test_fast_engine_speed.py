"""Speed benchmarks (pytest-benchmark) of the ``kernsim bench`` rows (g) and (h): the
blast-radius question on ``experiments/validation/availability.toml``, by the SimPy
dependability mode and by ``experiment.engine = "fast"``.

Not part of ``make test``. Run with

    .venv/bin/python -m pytest tests/benchmarks/test_fast_engine_speed.py -p no:xdist \\
        --benchmark-only

and divide the faults per second (``extra_info["faults"]`` / mean time) of the two.
Nothing here asserts a speed.
"""

from __future__ import annotations

import pytest

from kernsim.bench import rows
from kernsim.bench import runs as bench
from kernsim.engine.streams import task_seed

FAULTS = 50_000


@pytest.fixture(scope="module")
def options() -> rows.BenchOptions:
    return rows.BenchOptions(faults=FAULTS)


def test_g_simpy_dependability(benchmark, options):
    config = bench.faults_config(options.faults_file, FAULTS)
    result = benchmark.pedantic(bench.dependability_run, args=(config, task_seed(2026, 0)),
                                rounds=3, iterations=1)
    benchmark.extra_info["faults"] = result.customers
    assert result.customers > 0


def test_h_fast_engine(benchmark, options):
    config = bench.faults_config(options.faults_file, FAULTS, "fast")
    result = benchmark.pedantic(bench.fast_run, args=(config, task_seed(2026, 0)),
                                rounds=10, iterations=1)
    benchmark.extra_info["faults"] = result.customers
    assert result.customers > 0
