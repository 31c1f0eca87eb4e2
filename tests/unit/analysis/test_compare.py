"""``kernsim.analysis.compare``: paired comparison with common random numbers, and the
variance reduction it buys."""

import numpy as np
import pandas as pd
import pytest

from kernsim.analysis.compare import (
    independent_difference,
    paired_difference,
    paired_differences,
    variance_reduction,
)

REPS, SHIFT = 20, 3.0


def frame(crn: bool, seed: int = 11) -> pd.DataFrame:
    """Two design points (arch a/b) x 2 core counts x REPS replications.

    metric = 100 + 3·[arch b] + u + e: u ~ N(0, 10²) is the replication's
    random-number effect (shared by both design points of a replication with
    CRN, drawn anew per design point without), e ~ N(0, 1) the rest.
    True variance of the paired difference: 2; of the independent one: 202.
    """
    rng = np.random.default_rng(seed)
    rows, dp = [], 0
    for cores in (1, 2):
        shared = rng.normal(0, 10, REPS)
        for arch in ("a", "b"):
            u = shared if crn else rng.normal(0, 10, REPS)
            for rep in range(REPS):
                value = 100 + SHIFT * (arch == "b") + u[rep] + rng.normal()
                rows.append({"design_point": dp, "replication": rep, "seed": 1, "arch": arch,
                             "cores": cores, "m": value})
            dp += 1
    df = pd.DataFrame(rows)
    df.attrs["params"] = ["arch", "cores"]
    return df


def test_paired_ci_is_narrower_than_independent_for_crn_frames():
    df = frame(crn=True)
    paired = paired_difference(df, "arch", "a", "b", "m", where={"cores": 1})
    indep = independent_difference(df, "arch", "a", "b", "m", where={"cores": 1})
    assert paired.hi - paired.lo < (indep.hi - indep.lo) / 4
    assert paired.lo < SHIFT < paired.hi and paired.n == REPS


def test_variance_reduction_of_crn_is_large():
    ratio = variance_reduction(frame(crn=True), frame(crn=False, seed=12), "arch", "a", "b",
                               "m", where={"cores": 2})
    assert 20 < ratio < 1000  # true ratio 101; F(19, 19)-distributed estimate


def test_paired_difference_pairs_by_replication_not_row_order():
    df = frame(crn=True)
    shuffled = df.sample(frac=1.0, random_state=3)
    shuffled.attrs = df.attrs
    a = paired_difference(df, "arch", "a", "b", "m", where={"cores": 1})
    b = paired_difference(shuffled, "arch", "a", "b", "m", where={"cores": 1})
    assert a == pytest.approx(b)


def test_paired_difference_refuses_unfixed_other_parameters():
    with pytest.raises(ValueError, match="cores"):
        paired_difference(frame(crn=True), "arch", "a", "b", "m")


def test_paired_differences_gives_one_row_per_other_parameter_value():
    table = paired_differences(frame(crn=True), "arch", "a", "b", "m")
    assert table["cores"].tolist() == [1, 2]
    assert ((table["lo"] < SHIFT) & (SHIFT < table["hi"])).all()
