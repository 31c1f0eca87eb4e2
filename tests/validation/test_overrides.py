"""Overriding a sweep axis the way the experiment file spells it.

The validation files sweep TOML-quoted dotted keys (``"workload.clients" =
[5, 12]``); ``load(path, overrides)`` / ``kernsim run --set`` should let one
replace such an axis. No simulation runs here.
"""


from kernsim.experiment.load import load

from . import cases


def test_unquoted_path_replaces_the_axis():
    exp = load(cases.FILES / "repairman.toml", ["sweep.workload.clients=[3]"])
    assert [p.params for p in exp.points] == [{"workload.clients": 3}]


def test_quoted_key_as_in_the_file_replaces_the_axis():
    exp = load(cases.FILES / "repairman.toml", ['sweep."workload.clients"=[3]'])
    assert [p.params for p in exp.points] == [{"workload.clients": 3}]
