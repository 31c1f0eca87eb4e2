"""Coverage: over many fixed root seeds, the 95% t-interval from 8 replications
covers the exact M/M/1 mean wait at a rate consistent with 95% (two-sided
binomial test, p > 0.01)."""

import pytest

from . import cases


@pytest.fixture(scope="module")
def per_seed(share_dir):
    rows = cases.coverage_rows(share_dir)
    failed = [e for seed_rows in rows for e in cases.errors(seed_rows)]
    if failed:
        pytest.fail("the model raised:\n" + "\n".join(failed[:3]), pytrace=False)
    return rows


def test_95ci_covers_exact_mm1_wait_about_95_percent(per_seed):
    result = cases.coverage(per_seed)
    print(result.message)
    assert result.n == len(set(cases.COVERAGE_SEEDS)) >= 40
    assert all(len(rows) == 8 for rows in per_seed)
    pvalue, message = result.pvalue, result.message
    assert pvalue > 0.01, message
