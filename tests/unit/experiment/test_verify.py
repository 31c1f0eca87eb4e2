"""``kernsim.experiment.verify`` (``kernsim verify DIR``): completeness, sha256 of every part,
results = compaction."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest

from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.store import file_hash
from kernsim.experiment.verify import verify


@pytest.fixture
def folder(experiment_file, tmp_path):
    """A complete results folder (tests/fixtures/sweep.toml): 2 design points × 3
    replications, serial."""
    run(load(experiment_file("x.toml", "sweep")), out=tmp_path / "out", executor="serial")
    return tmp_path / "out"


def part(folder, dp: int, rep: int):
    return folder / "parts" / f"dp{dp:05d}-r{rep:05d}.parquet"


def problems(folder) -> str:
    return "\n".join(verify(folder).problems)


@pytest.fixture
def verify_cli(cli):
    """``kernsim verify ARGS`` in this process."""
    return lambda *args: cli("verify", *args)


def test_a_complete_folder_verifies(folder, verify_cli):
    verdict = verify(folder)
    assert verdict.ok, verdict.problems
    assert verdict.tasks == 6
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["hashes"]) == {f"{d}/{p.name}" for d in ("parts", "samples")
                                       for p in (folder / d).iterdir()} \
        | {"results.parquet", "samples.parquet"}  # every replication has latency_histogram rows
    assert manifest["hashes"]["results.parquet"] == file_hash(folder / "results.parquet")
    result = verify_cli(folder)
    assert result.exit_code == 0, result.output
    assert "ok:" in result.stdout and "6 tasks" in result.stdout


def test_a_changed_part_fails_its_hash_and_the_compaction(folder, verify_cli):
    other = pq.read_table(part(folder, 0, 1)).to_pandas()
    other["throughput"] += 1
    other.to_parquet(part(folder, 0, 1), index=False)
    text = problems(folder)
    assert "parts/dp00000-r00001.parquet: sha256" in text
    assert "results.parquet: differs from the compaction of the parts" in text
    result = verify_cli(folder)
    assert result.exit_code == 1
    assert "problem" in result.stderr and "dp00000-r00001" in result.stderr


def test_missing_extra_and_misnamed_parts_are_listed(folder):
    part(folder, 1, 2).unlink()
    shutil.copy(part(folder, 0, 0), folder / "parts" / "dp00007-r00000.parquet")
    (folder / "parts" / "notes.txt").write_text("stray")
    part(folder, 0, 1).replace(part(folder, 0, 2).with_name("dp00000-r00009.parquet"))
    text = problems(folder)
    assert "missing: design point 1, replication(s) 2 (1 task(s))" in text
    assert "missing: design point 0, replication(s) 1 (1 task(s))" in text
    assert "parts/dp00001-r00002.parquet: recorded in the manifest, but the file is missing" \
        in text
    assert "dp00007-r00000.parquet: extra: design point 7 is not in the manifest" in text
    assert "parts/notes.txt: unexpected file" in text
    assert "dp00000-r00009.parquet: holds design point 0 replication 1" in text
    assert "no sha256 recorded" in text


def test_results_that_are_not_the_compaction_of_the_parts_fail(folder):
    table = pq.read_table(folder / "results.parquet").slice(0, 5)
    pq.write_table(table, folder / "results.parquet")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["hashes"]["results.parquet"] = file_hash(folder / "results.parquet")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert problems(folder) == ("results.parquet: differs from the compaction of the parts "
                                "(5 rows vs 6)")


def test_an_unfinished_run_is_incomplete(folder):
    part(folder, 1, 0).unlink()
    (folder / "samples" / "dp00001-r00000.parquet").unlink()
    (folder / "results.parquet").unlink()
    (folder / "samples.parquet").unlink()  # an interrupted run compacts neither
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["status"] = "interrupted"
    del manifest["hashes"]["parts/dp00001-r00000.parquet"]
    del manifest["hashes"]["samples/dp00001-r00000.parquet"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert verify(folder).problems == [
        "missing: design point 1, replication(s) 0 (1 task(s))",
        ("results.parquet: missing (status 'interrupted'); run the same command again to "
         "finish the run"),
        ("samples.parquet: missing (status 'interrupted'); run the same command again to "
         "finish the run"),
        "manifest status is 'interrupted', not 'complete'",
    ]


def test_fewer_replications_keep_the_extra_parts_as_a_note(folder, experiment_file):
    run(load(experiment_file("x.toml", "sweep"), ["experiment.replications=2"]), out=folder)
    verdict = verify(folder)
    assert verdict.ok, verdict.problems
    assert sum("replication 2 ≥ replications = 2" in n for n in verdict.notes) == 2


def test_a_folder_without_a_manifest_is_not_a_results_folder(tmp_path, verify_cli):
    result = verify_cli(tmp_path)
    assert result.exit_code == 2  # a usage error (not a results folder), not a bad folder
    assert "no manifest.json" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
