"""``kernsim.engine.fit``: fitting the engine's families to data: AIC choice, parameter CIs, KS."""

import math
import shutil

import numpy as np
import pytest
from experiment_files import ROOT

from kernsim.engine.dists import DistError, Gamma, LogNormal
from kernsim.engine.fit import FAMILIES, fit, fit_file
from kernsim.engine.spec import from_config

EXAMPLE = ROOT / "data" / "examples"
MEAN, CV = 3.0, 1 / math.sqrt(2)  # gamma shape 2, scale 1.5


@pytest.fixture(scope="module")
def gamma_fit():
    x = np.random.default_rng(2026).gamma(2.0, 1.5, 5000)
    return fit(x)


def test_fit_recovers_gamma_aic_picks_gamma(gamma_fit):
    dist, report = gamma_fit
    assert isinstance(dist, Gamma) and report.best.family == "gamma"
    assert report.families()[0] == "gamma" and set(report.families()) == set(FAMILIES)


def test_fit_recovers_gamma_parameters_within_ci_of_truth(gamma_fit):
    _, report = gamma_fit
    ci = report["gamma"].ci
    assert ci["mean"][0] < MEAN < ci["mean"][1]
    assert ci["cv"][0] < CV < ci["cv"][1]
    assert ci["cv"][1] - ci["cv"][0] < 0.05  # and they are informative


def test_fit_rejects_exponential_by_ks(gamma_fit):
    _, report = gamma_fit
    assert report["exponential"].ks_pvalue < 1e-6
    assert report["gamma"].ks_pvalue > 0.05


def test_fit_report_aic_is_2k_minus_2loglik(gamma_fit):
    _, report = gamma_fit
    for cand in report.candidates:
        assert cand.aic == pytest.approx(2 * cand.k - 2 * cand.loglik)
        assert cand.delta_aic == pytest.approx(cand.aic - report.best.aic)
    assert "gamma" in str(report) and len(report.to_frame()) == len(FAMILIES)


def test_fit_loglik_matches_scipy(gamma_fit):
    from scipy import stats

    x = np.random.default_rng(2026).gamma(2.0, 1.5, 5000)
    _, report = gamma_fit
    w = report["weibull"].params
    assert report["weibull"].loglik == pytest.approx(
        stats.weibull_min(w["shape"], scale=w["scale"]).logpdf(x).sum())
    n = report["normal"].params
    tn = stats.truncnorm(-n["mean"] / n["sd"], np.inf, loc=n["mean"], scale=n["sd"])
    assert report["normal"].loglik == pytest.approx(tn.logpdf(x).sum())


def test_fit_of_example_file_picks_lognormal():
    dist, report = fit_file(EXAMPLE / "service_times.csv")
    assert isinstance(dist, LogNormal) and report.n == 200
    lo, hi = report.best.ci["cv"]
    assert lo < 0.8 < hi  # the file's true cv


def test_fit_in_config_form_attaches_report():
    dist = from_config({"dist": "fit", "file": "service_times.csv", "column": "service_us"},
                       base_dir=EXAMPLE)
    assert isinstance(dist, LogNormal) and dist.fit_report.best.family == "lognormal"
    values = from_config({"dist": "fit", "values": ["1us", 2, 3, 2.5, 1.5, 2.2],
                          "families": ["gamma", "uniform"]})
    assert values.fit_report.families()[0] in ("gamma", "uniform")


def test_fit_config_errors_name_the_key():
    with pytest.raises(DistError, match="exactly one of 'file' or 'values'"):
        from_config({"dist": "fit"})
    with pytest.raises(DistError, match="shape: unknown key for fit"):
        from_config({"dist": "fit", "values": [1, 2, 3, 4, 5], "shape": 2})
    with pytest.raises(DistError, match="families"):
        from_config({"dist": "fit", "values": [1, 2, 3, 4, 5], "families": ["pareto"]})
    with pytest.raises(DistError, match="at least 5"):
        fit([1.0, 2.0])


def test_fit_in_an_experiment_file_runs(tmp_path, monkeypatch, experiment_file):
    from kernsim.experiment.api import run_experiment

    monkeypatch.chdir(EXAMPLE)  # not where the data is: files are relative to the config
    (tmp_path / "data" / "examples").mkdir(parents=True)
    shutil.copy(EXAMPLE / "service_times.csv", tmp_path / "data" / "examples")
    path = experiment_file(
        "fit.toml", experiment={"name": "fit", "seed": 3},
        components={"cpu": {"service": {"dist": "fit",
                                        "file": "data/examples/service_times.csv"}}})
    df = run_experiment(path, out=tmp_path / "out")
    assert len(df) == 2 and (df["completed"] > 0).all()
