"""``kernsim.reproduce.study``: the study files validate and state their scope."""

from __future__ import annotations

import pytest
from experiment_files import ROOT

from kernsim.experiment.load import load
from kernsim.reproduce.study import scope_text


@pytest.mark.parametrize("path", sorted((ROOT / "experiments" / "reproduce").glob("*.toml")),
                         ids=lambda p: p.stem)
def test_study_files_validate_and_state_their_scope(path):
    exp = load(path)
    assert exp.points
    text = scope_text(path)
    assert text.startswith("SCOPE")
    assert any(w in text.lower() for w in ("calibrat", "consistency", "input")), text
