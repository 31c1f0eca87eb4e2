"""Seeds: each row names its replication's seed sequence, and ``experiment.seed`` can be swept."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import kernsim
from kernsim.engine.streams import seed_from_text, seed_text

SEEDS = {"experiment.seed": [11, 12]}
ROW_KEYS = ["design_point", "replication", "seed", "replication_seed", "experiment.seed"]


def _metrics(frame: pd.DataFrame) -> pd.DataFrame:
    keep = [c for c in frame.columns if c not in ROW_KEYS and not c.startswith("_")]
    return frame[keep].reset_index(drop=True)


@pytest.mark.parametrize("crn", [True, False])
def test_a_rows_replication_seed_reruns_that_replication_alone(experiment_file, tmp_path, crn):
    path = experiment_file(experiment={"common_random_numbers": crn},
                           sweep={"components.cpu.servers": [1, 2]})
    df = kernsim.run_experiment(path, out=tmp_path / "out")
    exp = kernsim.load_experiment(path)
    for _, row in df.iterrows():
        again = kernsim.run_replication(exp.points[row["design_point"]].config,
                                        row["replication_seed"])
        metrics = {k: v for k, v in again.items() if k != "_samples"}  # sample rows: not in df
        assert metrics == {k: row[k] for k in metrics}
    per_replication = df.groupby("replication")["replication_seed"].nunique()
    assert (per_replication == (1 if crn else 2)).all()  # CRN: one sequence across the points


def test_a_swept_seed_gives_each_value_the_rows_of_its_own_run(experiment_file, tmp_path):
    swept = kernsim.run_experiment(experiment_file("swept.toml", sweep=SEEDS),
                                   out=tmp_path / "swept")
    for seed in SEEDS["experiment.seed"]:
        alone = kernsim.run_experiment(
            experiment_file(f"s{seed}.toml", experiment={"seed": seed}), out=tmp_path / str(seed))
        part = swept[swept["experiment.seed"] == seed]
        assert (part["seed"] == seed).all()
        pd.testing.assert_frame_equal(_metrics(part), _metrics(alone))
        assert list(part["replication_seed"]) == list(alone["replication_seed"])


def test_a_swept_seed_keeps_common_numbers_along_the_other_axes(experiment_file, tmp_path):
    path = experiment_file(sweep={**SEEDS, "components.cpu.servers": [1, 2]})
    df = kernsim.run_experiment(path, out=tmp_path / "out")
    per_seed = df.groupby(["experiment.seed", "replication"])["replication_seed"].nunique()
    assert (per_seed == 1).all()  # servers 1 and 2 share the streams of one seed
    assert df.groupby("replication")["replication_seed"].nunique().eq(2).all()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert "independent streams across its swept values" in manifest["streams"]


def test_seed_text_round_trips_and_refuses_what_is_not_a_seed():
    seed = np.random.SeedSequence(2026, spawn_key=(4, 7))
    back = seed_from_text(seed_text(seed))
    assert (back.entropy, back.spawn_key) == (2026, (4, 7))
    with pytest.raises(ValueError, match="'2026/x'"):
        seed_from_text("2026/x")
