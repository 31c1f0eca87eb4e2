"""``kernsim.analysis.utilisation``, ``.lockshare`` and ``.explain`` on frames whose
answer is known by construction."""

import pandas as pd
import pytest

from kernsim.analysis.explain import headline_reason, utilisation_sentence, value
from kernsim.analysis.lockshare import has_lock_waits, with_lock_shares
from kernsim.analysis.utilisation import SATURATED, bottlenecks


def _frame(rows: list[dict]) -> pd.DataFrame:
    """Two replications per row (the same values), swept ``arch`` and ``cores``."""
    df = pd.DataFrame([{**r, "design_point": i, "replication": k}
                       for i, r in enumerate(rows) for k in range(2)])
    df.attrs["params"] = ["arch", "cores"]
    return df


@pytest.fixture
def frame():
    return _frame([
        {"arch": "a", "cores": 1, "throughput": 100.0, "util.x": 0.5, "cpu.idle": 0.0,
         "cpu.sleep": 0.0},
        {"arch": "a", "cores": 2, "throughput": 150.0, "util.x": 0.97, "cpu.idle": 0.3,
         "cpu.sleep": 0.1},
        {"arch": "a", "cores": 4, "throughput": 152.0, "util.x": 1.0, "cpu.idle": 0.6,
         "cpu.sleep": 0.0},
        {"arch": "b", "cores": 1, "throughput": 90.0, "util.x": None, "cpu.idle": 0.01,
         "cpu.sleep": 0.0},
        {"arch": "b", "cores": 2, "throughput": 170.0, "util.x": None, "cpu.idle": 0.02,
         "cpu.sleep": 0.0},
        {"arch": "b", "cores": 4, "throughput": 200.0, "util.x": None, "cpu.idle": 0.4,
         "cpu.sleep": 0.0},
    ])


def test_the_bottleneck_is_the_busiest_resource_and_saturated_from_the_threshold(frame):
    table = bottlenecks(frame)
    assert table["cores_busy"].tolist() == [1.0, 1 - 0.3 - 0.1, 1 - 0.6, 0.99, 0.98, 0.6]
    assert table["bottleneck"].tolist() == ["cores_busy", "util.x", "util.x", "cores_busy",
                                            "cores_busy", "cores_busy"]
    assert table["saturated"].tolist() == [p >= SATURATED for p in table["peak"]]
    assert table["saturated"].tolist() == [True, True, True, True, True, False]


def test_headline_names_the_saturated_domain_and_the_idle_cores(frame):
    text = headline_reason(frame, "throughput", "cores", ["arch"])
    assert text.startswith("a: throughput is flat from cores = 2 on (+1.3% to cores = 4) "
                           "because util.x ≈ 0.97 while cpu.idle = 0.30–0.60: its x server "
                           "threads, not the cores, are the limit.")
    assert text.endswith("b: nothing saturates at cores = 4 (busiest: cores_busy at 0.60), "
                         "so the offered load, not a resource, sets throughput; cores_busy "
                         "saturates at cores = 1–2.")


def test_headline_says_changes_when_a_saturated_run_is_not_flat_and_cores_when_busy():
    df = _frame([{"arch": "a", "cores": c, "throughput": t, "cpu.idle": 0.0, "cpu.sleep": 0.0}
                 for c, t in ((1, 100.0), (2, 200.0))])
    assert headline_reason(df, "throughput", "cores", ["arch"]) == (
        "a: throughput changes from cores = 1 on (+100.0% to cores = 2) because "
        "cores_busy ≈ 1.00: every core is busy.")
    assert utilisation_sentence(df, ["arch", "cores"]) == (
        f"Saturated (mean utilisation ≥ {SATURATED}): cores_busy at a, 1 / a, 2.")


def test_lock_shares_are_ratios_of_existing_metrics():
    df = pd.DataFrame({"lock_wait_mean": [0.5, 0.0], "response_mean": [4.0, 2.0],
                       "cpu.spin": [0.125, 0.0], "cpu.sleep": [0.25, 0.0]})
    shares = with_lock_shares(df)
    assert shares["lock_wait_share"].tolist() == [0.125, 0.0]
    assert shares["lock_core_share"].tolist() == [0.375, 0.0]
    assert has_lock_waits(shares) and not has_lock_waits(shares.iloc[1:])


@pytest.mark.parametrize(("metric", "v", "text"), [
    ("throughput", 1.21e6, "1.21 M/s"), ("throughput", 950.0, "950 /s"),
    ("response_mean", 2500.0, "2.5 ms"), ("response_mean", 6.94, "6.94 µs"),
    ("response_mean", 5.4e9, "1.5 h"), ("util.vfs", 0.4403, "0.44"), ("cores", 3.0, "3"),
    ("completed", 3200.0, "3.2k requests"),
])
def test_values_carry_their_unit(metric, v, text):
    assert value(metric, v) == text


@pytest.mark.parametrize(("metric", "v"), [("throughput", 1.21e6), ("throughput", 12.5),
                                           ("response_mean", 2500.0), ("response_mean", 7.2e7)])
def test_a_sentence_shows_a_value_in_the_unit_its_axis_would(metric, v):
    from kernsim.units import display_unit

    div, shown = display_unit(metric, [v])
    assert value(metric, v) == f"{v / div:.3g} {shown}"
