"""``load_series`` / ``plots.timeseries`` on series.parquet, and the warm-up pilot:
saved as warmup.parquet, drawn by ``plots.warmup`` from the folder, warned about when
MSER-5 flags its own cut unreliable."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import kernsim
from kernsim.analysis import load_pilots, plots
from kernsim.errors import KernsimError
from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.verify import verify
from kernsim.experiment.warmup import WarmupWarning
from kernsim.stats.warmup import mser5

#: tiny at ρ = 1.1 for 1 ms: the pilot's response times still grow at its end, so
#: MSER-5's minimum sits at the edge of its search (reliable = False; seed 7)
UNRELIABLE = {"experiment": {"warmup": "auto", "duration": "1ms"},
              "components": {"cpu": {"service": {"dist": "exponential", "mean": "11us"}}}}


@pytest.fixture
def sampled(experiment_file, tmp_path):
    exp = load(experiment_file("s.toml", "sweep", experiment={"warmup": "200us",
                                                              "sample_every": "0.5ms"}))
    return run(exp, out=tmp_path / "s", executor="serial").out


def test_load_series_joins_the_swept_parameters(sampled):
    df = kernsim.load_series(sampled, "util.cpu")
    assert set(df["metric"]) == {"util.cpu"}
    assert df.attrs["params"] == ["components.cpu.servers"]
    assert sorted(df["components.cpu.servers"].unique()) == [1, 2]
    with pytest.raises(KernsimError, match="metric = 'util.nope'"):
        kernsim.load_series(sampled, "util.nope")


def test_a_folder_without_series_says_how_to_get_one(experiment_file, tmp_path):
    out = run(load(experiment_file("p.toml", "tiny")), out=tmp_path / "p", executor="serial").out
    with pytest.raises(KernsimError, match="experiment.sample_every"):
        kernsim.load_series(out)


def test_timeseries_draws_a_mean_and_band_per_design_point_with_units(sampled):
    df = kernsim.load_series(sampled)
    fig = plots.timeseries(df, "util.cpu", warmup=200.0, spans=[(1000.0, 1500.0, "window")])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "simulated time (ms)"
    assert ax.get_ylabel() == "util.cpu (fraction)"
    means = [line for line in ax.get_lines() if line.get_label() in ("1", "2")]
    assert len(means) == 2
    one = df[(df["metric"] == "util.cpu") & (df["components.cpu.servers"] == 1)]
    expected = one.groupby("t")["value"].mean()
    line = next(m for m in means if m.get_label() == "1")
    assert np.array_equal(line.get_xdata(), expected.index.to_numpy() / 1000.0)
    assert np.array_equal(line.get_ydata(), expected.to_numpy())
    assert ax.get_ylim() == (0.0, 1.02)


def test_an_unreliable_mser_cut_warns_in_one_line_naming_the_metric(experiment_file):
    with pytest.warns(WarmupWarning) as caught:
        load(experiment_file("u.toml", "tiny", **UNRELIABLE))
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "response_mean" in text and "experiment.warmup" in text and "\n" not in text


def test_the_cli_prints_the_warning_as_one_line(experiment_file, cli):
    path = experiment_file("u.toml", "tiny", **UNRELIABLE)
    result = cli("validate", str(path))
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stderr.splitlines() if "MSER-5" in ln]
    assert len(lines) == 1 and lines[0].startswith("warning: experiment.warmup")


def test_a_reliable_cut_does_not_warn(experiment_file, recwarn):
    load(experiment_file("r.toml", "tiny", experiment={"warmup": "auto"}))
    assert not [w for w in recwarn if issubclass(w.category, WarmupWarning)]


def test_the_pilot_is_saved_and_plots_warmup_draws_it_from_the_folder(experiment_file, tmp_path):
    with pytest.warns(WarmupWarning):
        exp = load(experiment_file("u.toml", "tiny", **UNRELIABLE))
    out = run(exp, out=tmp_path / "u", executor="serial", allow_unstable=True).out
    assert verify(out).ok, verify(out).problems
    manifest = json.loads((out / "manifest.json").read_text())
    assert "warmup.parquet" in manifest["hashes"]
    pilot = load_pilots(out, 0)
    assert pilot.equals(exp.pilots[0])
    chosen = kernsim.load_results(out)["experiment.warmup"].iloc[0]
    assert chosen == mser5(pilot).time
    fig = plots.warmup(out)
    cut_line = next(line for line in fig.axes[0].get_lines()
                    if line.get_label().startswith("cut"))
    assert cut_line.get_xdata()[0] == chosen
    (out / "warmup.parquet").write_bytes(b"changed")
    assert "warmup.parquet: sha256" in "\n".join(verify(out).problems)


def test_series_axes_take_their_unit_and_scale_from_the_one_units_table():
    from kernsim.units import display_unit

    assert display_unit("goodput", pd.Series([0.0, 8e5])) == (1e3, "k/s")
    assert display_unit("throughput", pd.Series([2e6])) == (1e6, "M/s")
    assert display_unit("failed", pd.Series([12.0])) == (1.0, "/s")
    assert display_unit("util.vfs", pd.Series([0.5])) == (1.0, "fraction")
    assert display_unit("lock.big.waiters", pd.Series([3.0])) == (1.0, "requests")