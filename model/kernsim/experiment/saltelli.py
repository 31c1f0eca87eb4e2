"""The Saltelli design: the sampled sweep that Sobol' sensitivity indices need.

``method = "saltelli"`` in ``[sweep]`` with ``n`` base samples and ``d`` ranges
makes ``n · (d + 2)`` design points (SALib's ``sample.sobol`` without second-order
terms): for each base sample ``j`` the rows ``A_j``, ``AB_j^1 … AB_j^d`` (``A_j``
with parameter ``i`` taken from ``B_j``) and ``B_j``, in that order. The first-
and total-order estimators (``kernsim.analysis.sensitivity``) read the model's
outputs in exactly this order, so the layout is defined here once.

The unit sample is drawn from the named stream :data:`STREAM` under the sweep's
seed: the same seed gives the same design, and the design shares no draws with a
``lhs``/``sobol`` sample or any replication. Extension hook: a second-order design
(``n · (2d + 2)`` rows) would add its own count and layout here.
"""

from __future__ import annotations

import numpy as np

from kernsim.engine.streams import stable_key
from kernsim.errors import ConfigError

#: the name of the random stream that scrambles the design
STREAM = "sweep.saltelli"


def rows(d: int, n: int) -> int:
    """Design points of a Saltelli design with ``d`` parameters and ``n`` base samples."""
    return n * (d + 2)


def check_base(n: int) -> None:
    """``n`` base samples give indices and a bootstrap only when ``n`` is a power of two
    ≥ 2 (the Sobol' sequence keeps its balance only at powers of two)."""
    if n < 2 or n & (n - 1):
        low = 1 << max(1, n.bit_length() - 1)
        raise ConfigError(f"sweep.n = {n}: method = \"saltelli\" needs a power of two ≥ 2 "
                          f"base samples (e.g. {low} or {low * 2}); it makes n·(d+2) points")


def unit_sample(d: int, n: int, seed: int) -> np.ndarray:
    """The ``n · (d + 2)`` × ``d`` design on the unit cube, in the layout above."""
    from SALib.sample import sobol  # imported here: SALib loads pandas and matplotlib

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stable_key(STREAM),)))
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    return sobol.sample(problem, n, calc_second_order=False, scramble=True, seed=rng)

