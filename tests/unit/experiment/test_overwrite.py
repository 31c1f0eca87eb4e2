"""``--overwrite`` and a folder's own files: it never follows a link out of the results
folder, refuses a folder that is not a kernsim results folder, and removes only what
the old run wrote."""

from __future__ import annotations

import json

import pytest

from kernsim.errors import KernsimError
from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.verify import verify

pytestmark = pytest.mark.scenario


def _other(experiment_file):
    """The tiny experiment with another seed: another config hash."""
    return load(experiment_file("y.toml", experiment={"seed": 8}))


def test_a_symlinked_parts_folder_is_refused_and_its_target_untouched(experiment_file, tmp_path):
    elsewhere = tmp_path / "precious"
    elsewhere.mkdir()
    (elsewhere / "dp00000-r00000.parquet").write_bytes(b"not yours")
    out = tmp_path / "out"
    run(load(experiment_file()), out=out, executor="serial")
    for path in (out / "parts").iterdir():
        path.unlink()
    (out / "parts").rmdir()
    (out / "parts").symlink_to(elsewhere)
    with pytest.raises(KernsimError, match="parts: is a symbolic link"):
        run(_other(experiment_file), out=out, executor="serial", overwrite=True)
    assert (elsewhere / "dp00000-r00000.parquet").read_bytes() == b"not yours"


def test_a_folder_whose_manifest_is_not_kernsims_is_refused_even_with_overwrite(
        experiment_file, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"mine": True}))
    (out / "data.parquet").write_bytes(b"keep")
    with pytest.raises(KernsimError, match="not the manifest of a kernsim results folder"):
        run(load(experiment_file()), out=out, executor="serial", overwrite=True)
    assert json.loads((out / "manifest.json").read_text()) == {"mine": True}
    assert (out / "data.parquet").read_bytes() == b"keep"


def test_a_corrupt_manifest_is_one_clear_error(experiment_file, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text("{not json")
    with pytest.raises(KernsimError, match=r"manifest.json: not valid JSON"):
        run(load(experiment_file()), out=out, executor="serial")


def test_overwrite_removes_the_old_runs_files_only_and_the_new_run_verifies(experiment_file,
                                                                            tmp_path):
    out = tmp_path / "out"
    run(load(experiment_file()), out=out, executor="serial")
    (out / "notes.txt").write_text("mine")
    (out / "parts" / "readme.parquet").write_bytes(b"not a part name")
    other = _other(experiment_file)
    result = run(other, out=out, executor="serial", overwrite=True)
    assert result.ran == 2 and result.skipped == 0  # nothing of the old config adopted
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "parts" / "readme.parquet").read_bytes() == b"not a part name"
    lone = run(other, out=tmp_path / "lone", executor="serial")
    assert (out / "results.parquet").read_bytes() == (lone.out / "results.parquet").read_bytes()
    assert json.loads((out / "manifest.json").read_text())["config_hash"] == other.config_hash
    assert verify(lone.out).ok
