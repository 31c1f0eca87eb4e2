"""``kernsim.bench.timing.Measurement``: wall and CPU rates follow one rule."""

from __future__ import annotations

from kernsim.bench.timing import Measurement


def test_rates_are_medians_over_runs_and_events_scale_by_events_per_customer():
    m = Measurement("k", "label", walls_s=[1.0, 2.0, 4.0], cpu_s=[0.5, 1.0, 2.0],
                    customers=[100, 100, 100], events=600, events_customers=100)
    assert m.customers_per_s == 50.0 and m.customers_per_s_best == 100.0
    assert m.customers_per_cpu_s == 100.0
    assert m.events_per_customer == 6.0
    assert m.events_per_s == 300.0 and m.events_per_cpu_s == 600.0


def test_without_a_customer_count_events_are_divided_by_the_median_time():
    m = Measurement("k", "label", walls_s=[1.0, 3.0, 2.0], cpu_s=[4.0, 8.0, 6.0],
                    events=1200)
    assert m.customers_per_s is None and m.events_per_customer is None
    assert m.events_per_s == 600.0 and m.events_per_cpu_s == 200.0
    assert Measurement("k", "label").events_per_s is None
