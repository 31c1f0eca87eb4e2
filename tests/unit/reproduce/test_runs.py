"""``kernsim.reproduce.runs``: the overrides a study passes to the runner."""

from __future__ import annotations

import pytest

from kernsim.experiment.load import parse_override
from kernsim.reproduce import runs


@pytest.mark.parametrize("value", [1.5, 3, "10min", [1, 2.5], {"a.b": [1, 2], "c": "x"},
                                   {"zip": [{"k": [1]}, {"j": ["a", "b"]}]}, True])
def test_override_values_read_back_as_given(value):
    text = runs.overrides({"sweep": value})[0]
    assert parse_override(text) == ("sweep", value)
