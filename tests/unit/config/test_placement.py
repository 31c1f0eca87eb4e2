"""``system.placement`` and names: references checked against what exists, lengths bounded.
Each refusal is one line naming the key (in-process ``kernsim validate``)."""

from __future__ import annotations

import pytest

#: a microkernel (one server domain per component) on two nodes
SYSTEM = {"architecture": "microkernel", "nodes": 2}



@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


CASES = [
    ("unknown-component", {"placement": {"nosuch": 0}},
     ("system.placement.nosuch", "unknown component 'nosuch'", "known: cpu")),
    ("node-past-nodes", {"placement": {"cpu": 7}},
     ("system.placement.cpu = 7", "0..1", "system.nodes = 2")),
    ("negative-node", {"placement": {"cpu": -1}}, ("system.placement.cpu = -1",)),
    ("not-microkernel", {"architecture": "explicit", "placement": {"cpu": 1}},
     ("system.placement", "architecture = \"microkernel\"", "domains.NAME.node")),
]


@pytest.mark.parametrize("system, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_placement_is_one_line_naming_it(system, words, experiment_file, cli):
    experiment_file("x.toml", system={**SYSTEM, **system})
    done = cli("validate", "x.toml")
    assert done.exit_code == 2
    (line,) = done.stderr.strip().splitlines()
    assert all(w in line for w in words), line


def test_a_good_placement_puts_the_servers_domain_on_its_node(experiment_file):
    from kernsim.experiment.load import load

    exp = load(experiment_file("x.toml", system={**SYSTEM, "placement": {"cpu": 1}}))
    assert exp.config.domains["cpu"].node == 1


@pytest.mark.parametrize("length, ok", [(100, True), (101, False)])
def test_names_are_at_most_100_characters(length, ok, experiment_file, cli):
    experiment_file("x.toml", experiment={"name": "n" * length})
    done = cli("validate", "x.toml")
    assert done.exit_code == (0 if ok else 2), done.stderr
    if not ok:
        assert "experiment.name" in done.stderr and "at most 100" in done.stderr
