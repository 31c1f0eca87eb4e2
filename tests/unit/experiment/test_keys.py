"""A dotted key must name something that exists: a typo in a named collection is refused
with the nearest names instead of creating a new member; a key swept twice is refused."""

from __future__ import annotations

import pytest

from kernsim.errors import ConfigError
from kernsim.experiment.catalog import find
from kernsim.experiment.load import load


def test_set_into_an_unknown_component_is_refused_with_the_nearest_names(experiment_file):
    path = experiment_file(components={"server": {"service": "5us"}}, drop=("components",))
    with pytest.raises(ConfigError) as err:
        load(path, ["components.sever.servers=3"])
    text = str(err.value)
    assert "--set components.sever.servers: no component 'sever'" in text
    assert "known: server" in text and "did you mean 'server'?" in text
    assert "components.sever={...}" in text


def test_set_into_an_unknown_request_class_is_refused():
    with pytest.raises(ConfigError, match="no request class 'readd'.*did you mean 'read'"):
        load(find("quickstart"), ['workload.classes.readd.path=["vfs"]'])


def test_a_whole_table_creates_a_member(experiment_file):
    exp = load(experiment_file(), ['components.extra={service = "3us"}'])
    assert "extra" in exp.config.components


def test_a_member_that_a_swept_preset_makes_is_known_to_the_key_check():
    """quickstart sweeps the architecture; the microkernel preset makes domain vfs. The
    key check knows it (the preset itself then refuses explicit domains)."""
    with pytest.raises(ConfigError) as err:
        load(find("quickstart"), ["domains.vfs.threads=2"])
    assert "no domain" not in str(err.value)
    assert "set by system.architecture" in str(err.value)


def test_a_swept_key_into_an_unknown_component_is_refused(experiment_file):
    path = experiment_file(sweep={"components.cpx.servers": [1, 2]})
    with pytest.raises(ConfigError, match="sweep: components.cpx.servers: no component 'cpx'"
                                          ".*did you mean 'cpu'"):
        load(path)


def test_a_key_in_both_the_grid_and_a_zip_is_refused(experiment_file):
    path = experiment_file(sweep={"components.cpu.servers": [1, 2],
                                  "zip": {"components.cpu.servers": [3, 4]}})
    with pytest.raises(ConfigError, match="sweep.components.cpu.servers: swept both"):
        load(path)
