"""The reproduction's calibration arithmetic, the Markov chain and the c fit, tolerances,
the published CSVs and the study files (no simulation here)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from kernsim.experiment.load import load, parse_override
from kernsim.reproduce import STUDIES, calibrate, compare, markov, published, runs
from kernsim.reproduce.study import scope_text

ROOT = Path(__file__).resolve().parents[2]
TAGS = {"P", "S", "F", "D", "U"}


# --- cycles and µs -----------------------------------------------------------------------------


def test_cycles_to_us_at_the_papers_clock():
    assert calibrate.cycles_to_us(223, 133) == pytest.approx(1.676691729, rel=1e-9)
    assert calibrate.cycles_to_us(107, 50) == pytest.approx(2.14, rel=1e-12)
    assert calibrate.us_to_cycles(calibrate.cycles_to_us(14710, 133), 133) == pytest.approx(14710)


@pytest.mark.parametrize("mhz", [0, -133])
def test_a_clock_must_be_positive(mhz):
    with pytest.raises(ValueError, match="MHz"):
        calibrate.cycles_to_us(100, mhz)


def test_per_message_splits_the_extra_cost_over_call_and_reply():
    assert calibrate.per_message(526, 223, 2) == pytest.approx(151.5)
    with pytest.raises(ValueError):
        calibrate.per_message(526, 223, 0)


@pytest.mark.parametrize("f,a", [(0.032, 12100.0), (0.004, 99600.0), (0.002, 199600.0)])
def test_parallel_work_from_the_serial_fraction(f, a):
    got = calibrate.parallel_work(400, f)
    assert got == pytest.approx(a, rel=1e-12)
    assert 400 / (got + 400) == pytest.approx(f, rel=1e-12)


@pytest.mark.parametrize("f", [0, 1, 1.5, -0.1])
def test_parallel_work_refuses_fractions_outside_0_1(f):
    with pytest.raises(ValueError):
        calibrate.parallel_work(400, f)


def test_ticket_transfer_cost_inverts_the_update_cost():
    s, n, extra = 30.0, 16, 12000.0
    c = calibrate.ticket_transfer_cost(extra, n, s)
    assert c == pytest.approx(2 * (12000 - 15 * 30) / 255)
    cost = calibrate.ticket_update_cost
    assert cost(n, s, c) - cost(1, s, c) == pytest.approx(extra, rel=1e-12)
    with pytest.raises(ValueError):
        calibrate.ticket_transfer_cost(100.0, 16, 30.0)   # below (n − 1)·s: no c > 0


# --- the Markov chain and the c fit ------------------------------------------------------------


def test_chain_two_cores_by_hand():
    """n = 2: P1/P0 = (2/a)(s + c/2), P2/P1 = (1/a)(s + c); speedup = 2 − E[k]."""
    a, s, c = 3.0, 1.0, 0.5
    r1, r2 = (2 / a) * (s + c / 2), (1 / a) * (s + c)
    p0 = 1 / (1 + r1 + r1 * r2)
    mean_k = p0 * (r1 + 2 * r1 * r2)
    assert markov.speedup(2, a, s, c, "ticket") == pytest.approx(2 - mean_k, rel=1e-12)


@pytest.mark.parametrize("n,a,s", [(1, 3.0, 1.0), (8, 5.0, 1.0), (48, 99600.0, 400.0)])
def test_chain_without_cost_is_the_machine_repairman(n, a, s):
    """c = 0: M/M/1//n; P0 = 1 / Σ n!/(n−k)! (s/a)^k and speedup = n − E[k] = X·a."""
    r = s / a
    terms = [math.factorial(n) / math.factorial(n - k) * r**k for k in range(n + 1)]
    p0 = 1 / sum(terms)
    x = (1 - p0) / s
    for kind in ("ticket", "mcs"):
        assert markov.speedup(n, a, s, 0.0, kind) == pytest.approx(x * a, rel=1e-9)


def test_fit_c_hits_the_target_peak_and_falls_as_the_target_rises():
    a, s = calibrate.parallel_work(400, 0.004), 400.0
    c = markov.fit_c(28.0, a, s, 48)
    cores = range(1, 49)
    assert markov.peak(cores, markov.curve(cores, a, s, c, "ticket"))[1] == pytest.approx(28.0, rel=1e-6)
    assert markov.fit_c(20.0, a, s, 48) > c > markov.fit_c(35.0, a, s, 48)


def test_fit_c_refuses_an_unreachable_peak():
    a = calibrate.parallel_work(400, 0.004)
    with pytest.raises(ValueError, match="peak"):
        markov.fit_c(60.0, a, 400.0, 48)
    with pytest.raises(ValueError, match="peak"):
        markov.fit_c(0.5, a, 400.0, 48)


def test_ticket_collapses_and_mcs_does_not_in_the_chain():
    a, s = calibrate.parallel_work(400, 0.004), 400.0
    c = markov.fit_c(28.0, a, s, 48)
    ticket, mcs = (markov.curve(range(1, 49), a, s, c, k) for k in ("ticket", "mcs"))
    assert ticket[-1] < 0.5 * ticket.max()
    assert mcs[-1] == pytest.approx(mcs.max())


# --- tolerances and rows -----------------------------------------------------------------------


def test_tolerances():
    rel, ab, up = (compare.relative(0.1, "S"), compare.absolute(2.4, "F"),
                   compare.upper(0.1, "bound"))
    assert rel.contains(100, 109.9) and not rel.contains(100, 110.1)
    assert ab.contains(28, 30.3) and not ab.contains(28, 30.5)
    assert up.contains(30, 5) and up.contains(30, 32.9) and not up.contains(30, 33.1)
    with pytest.raises(ValueError):
        compare.Tolerance("percent", 1, "")


def test_rows_judge_predictions_not_calibration_or_missing_values():
    tol = compare.relative(0.2, "U")
    assert compare.exact("q", "s", "check", "", 110, 100, "U", tol).within == "yes"
    assert compare.exact("q", "s", "prediction", "", 130, 100, "U", tol).within == "no"
    assert compare.exact("q", "s", "calibration", "", 130, 100, "U", tol).within == "n/a"
    assert compare.exact("q", "s", "prediction", "", 130, math.nan, "", tol).within == "n/a"
    row = compare.measured("q", "s", "prediction", "", [1.0, 2.0, 3.0], 2.0)
    assert (row.mean, row.ratio) == (2.0, 1.0) and row.lo < 2.0 < row.hi


# --- published CSVs ----------------------------------------------------------------------------


@pytest.mark.parametrize("study", STUDIES)
def test_published_csv_is_well_formed(study):
    df = published.load(study)
    has = df["value"].notna()
    assert set(df.loc[has, "tag"]) <= TAGS, study
    missing = df[~has]
    assert all("missing" in str(n) for n in missing["note"]), missing
    assert (df["role"] == "calibration").any() and (df["role"] == "prediction").any()
    assert df[["authors", "title", "venue", "year"]].notna().all().all()


def test_haertig97_calibration_from_the_csv():
    from kernsim.reproduce import haertig97 as h

    cal = h.calibration(published.load("haertig97"))
    assert cal.trap_us() == pytest.approx(223 / 133)
    assert cal.ipc_us(h.L4) == pytest.approx(300 / 2 / 133)
    assert cal.getpid[h.MK_IN] == pytest.approx(3.9 * 523)
    assert cal.getpid[h.MK_USER] == pytest.approx(29 * 523)


def test_baumann09_calibration_from_the_csv():
    from kernsim.reproduce import baumann09 as b

    cal = b.calibration(published.load("baumann09"))
    assert (cal.section, cal.message, cal.cores) == (30, 450, 16)
    assert cal.shared(16) - cal.shared(1) == pytest.approx(12000)
    assert cal.crossover() == pytest.approx(900 / cal.c)


def test_nooks_driver_rate_gives_the_published_share():
    from kernsim.reproduce import nooks_minix as nm

    base = {"faults": {"units": {"kernel": {"ttf": {"mean": "1000h"}}, "driver": {"count": 4}}}}
    m_d = nm.driver_ttf_us(base, 0.85)
    kernel = 1000 * nm.HOURS
    share = (4 / m_d) / (4 / m_d + 1 / kernel)
    assert share == pytest.approx(0.85, rel=1e-12)


# --- study files and overrides -----------------------------------------------------------------


@pytest.mark.parametrize("value", [1.5, 3, "10min", [1, 2.5], {"a.b": [1, 2], "c": "x"},
                                   {"zip": [{"k": [1]}, {"j": ["a", "b"]}]}, True])
def test_override_values_read_back_as_given(value):
    text = runs.overrides({"sweep": value})[0]
    assert parse_override(text) == ("sweep", value)


@pytest.mark.parametrize("path", sorted((ROOT / "experiments" / "reproduce").glob("*.toml")),
                         ids=lambda p: p.stem)
def test_study_files_validate_and_state_their_scope(path):
    exp = load(path)
    assert exp.points
    text = scope_text(path)
    assert text.startswith("SCOPE")
    assert any(w in text.lower() for w in ("calibrat", "consistency", "input")), text


def test_every_study_has_its_file_and_csv():
    for study in STUDIES:
        assert (ROOT / "experiments" / "reproduce" / f"{study}.toml").is_file()
        assert published.csv_path(study).is_file()
