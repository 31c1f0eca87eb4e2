"""``kernsim.experiment.load``: loading experiment files: extends (deep merge), --set
overrides, the config hash."""

from __future__ import annotations

import pytest
from experiment_files import ROOT, experiment_text

from kernsim.errors import ConfigError
from kernsim.experiment.load import config_hash, deep_merge, load, parse_override, set_dotted

#: tiny.toml with two components (a: two servers) in place of cpu
BASE = experiment_text("tiny", drop=["components.cpu"],
                       experiment={"name": "base", "seed": 3, "duration": "1ms"},
                       components={"a": {"servers": 2,
                                         "service": {"dist": "exponential", "mean": "3us"}},
                                   "b": {"service": "1us"}})


def test_deep_merge_merges_tables_key_by_key_and_the_child_wins():
    base = {"t": {"x": 1, "y": {"p": 1, "q": 2}}, "keep": [1, 2]}
    over = {"t": {"y": {"q": 9}, "z": 3}, "keep": [3]}
    assert deep_merge(base, over) == {"t": {"x": 1, "y": {"p": 1, "q": 9}, "z": 3}, "keep": [3]}
    assert base == {"t": {"x": 1, "y": {"p": 1, "q": 2}}, "keep": [1, 2]}


def test_deep_merge_replaces_a_distribution_table_that_names_its_dist():
    base = {"service": {"dist": "exponential", "mean": 3}}
    assert deep_merge(base, {"service": {"dist": "constant", "value": 4}}) == {
        "service": {"dist": "constant", "value": 4}}
    assert deep_merge(base, {"service": {"mean": 5}}) == {
        "service": {"dist": "exponential", "mean": 5}}


def test_extends_merges_the_child_over_its_base_file(write):
    write("base.toml", BASE)
    child = write("sub/child.toml", """\
        extends = "../base.toml"
        [experiment]
        name = "child"
        [components.a]
        service = { dist = "constant", value = "4us" }
    """)
    exp = load(child)
    assert exp.name == "child"
    assert exp.config.experiment.seed == 3  # inherited
    assert exp.config.components["a"].servers == 2  # inherited inside a merged table
    assert exp.config.components["a"].service.raw == {"dist": "constant", "value": "4us"}
    assert list(exp.config.components) == ["a", "b"]
    assert "extends" not in exp.raw


def test_extends_chains_through_several_files(write):
    write("base.toml", BASE)
    write("mid.toml", 'extends = "base.toml"\n[experiment]\nseed = 4\nname = "mid"\n')
    top = write("top.toml", 'extends = "mid.toml"\n[experiment]\nname = "top"\n')
    exp = load(top)
    assert (exp.name, exp.config.experiment.seed, exp.config.experiment.replications) == (
        "top", 4, 2)


@pytest.mark.parametrize("text,expected", [
    ("experiment.replications=5", ("experiment.replications", 5)),
    ("a.b=2.5", ("a.b", 2.5)),
    ("a.b=true", ("a.b", True)),
    ('a.b="5"', ("a.b", "5")),
    ("a.b=[1, 2]", ("a.b", [1, 2])),
    ('w.i={dist="constant",value=2}', ("w.i", {"dist": "constant", "value": 2})),
    ("a.b=3ms", ("a.b", "3ms")),
    ("a.b=fifo", ("a.b", "fifo")),
    (" a.b = 7 ", ("a.b", 7)),
    ("a.b=x=y", ("a.b", "x=y")),
], ids=["int", "float", "bool", "quoted-string", "list", "inline-table", "bare-unit-string",
        "bare-word", "spaces", "second-equals-in-value"])
def test_set_value_is_read_as_toml_else_as_a_string(text, expected):
    assert parse_override(text) == expected


@pytest.mark.parametrize("text", ["experiment.replications", "=3", " =3"])
def test_set_without_key_or_equals_is_refused(text):
    with pytest.raises(ConfigError, match="expected key=value"):
        parse_override(text)


def test_set_dotted_creates_missing_tables_and_refuses_to_descend_into_a_value():
    table = {"a": {"b": 1}}
    set_dotted(table, "a.c.d", 2)
    assert table == {"a": {"b": 1, "c": {"d": 2}}}
    with pytest.raises(ConfigError, match=r"a\.b\.x: 'b' holds a value, not a table"):
        set_dotted(table, "a.b.x", 3)


def test_set_overrides_apply_after_extends(write):
    write("base.toml", BASE)
    child = write("child.toml", 'extends = "base.toml"\n[experiment]\nseed = 9\n')
    exp = load(child, ["experiment.seed=10", "components.b.servers=3"])
    assert exp.config.experiment.seed == 10
    assert exp.config.components["b"].servers == 3


def _raw() -> dict:
    return {"experiment": {"name": "h", "seed": 1, "replications": 2, "duration": 10,
                           "description": "x"},
            "workload": {"interarrival": 5},
            "components": {"a": {"service": 1}}}


def test_config_hash_ignores_replications_and_description():
    other = _raw()
    other["experiment"]["replications"] = 50
    other["experiment"]["description"] = "something else"
    assert config_hash(other) == config_hash(_raw())


@pytest.mark.parametrize("key,value", [
    ("experiment.seed", 2),
    ("experiment.duration", 11),
    ("experiment.name", "h2"),
    ("workload.interarrival", 6),
    ("components.a.service", 2),
    ("components.a.servers", 1),
    ("sweep.components.a.servers", [1, 2]),
])
def test_config_hash_changes_with_any_other_key(key, value):
    other = _raw()
    set_dotted(other, key, value)
    assert config_hash(other) != config_hash(_raw())


def test_config_hash_does_not_depend_on_key_order():
    raw = _raw()
    reordered = {k: raw[k] for k in reversed(list(raw))}
    reordered["experiment"] = dict(reversed(list(raw["experiment"].items())))
    assert config_hash(reordered) == config_hash(raw)


def test_config_hash_of_a_loaded_file_ignores_set_replications(write):
    path = write("base.toml", BASE)
    assert load(path).config_hash == load(path, ["experiment.replications=7"]).config_hash
    assert load(path).config_hash != load(path, ["experiment.seed=4"]).config_hash


def test_config_hash_follows_the_content_of_referenced_files(tmp_path):
    """A results folder is one experiment: editing its performance model or a data
    file it reads must make it a different one (else a resume would mix them)."""
    import shutil

    from kernsim.experiment.load import load

    for name in ("performability.toml", "performability_model.toml"):
        shutil.copy(ROOT / "experiments" / name, tmp_path / name)
    before = load(tmp_path / "performability.toml").config_hash
    model = tmp_path / "performability_model.toml"
    model.write_text(model.read_text() + "\n# a comment changes nothing\n")
    assert load(tmp_path / "performability.toml").config_hash == before
    model.write_text(model.read_text().replace('mean = "2us"', 'mean = "3us"', 1))
    assert load(tmp_path / "performability.toml").config_hash != before


def test_a_performance_model_that_is_a_dependability_file_is_refused(tmp_path, kernsim):
    """Even one that refers to itself: one line naming the key, no RecursionError."""
    text = (ROOT / "experiments" / "performability.toml").read_text()
    text = text.replace('"performability_model.toml"', '"self.toml"')
    (tmp_path / "self.toml").write_text(text)
    proc = kernsim("validate", "self.toml")
    assert proc.returncode == 2, proc.stderr
    assert "Recursion" not in proc.stderr + proc.stdout
    assert any("faults.performability.model" in ln and "dependability file" in ln
               for ln in proc.stderr.splitlines()), proc.stderr


def test_task_timeout_is_not_part_of_the_config_hash(experiment_file):
    a = load(experiment_file("a.toml", experiment={"task_timeout": "0.5s"}))
    b = load(experiment_file("b.toml", experiment={"task_timeout": "1h"}))
    assert a.config_hash == b.config_hash
    assert a.config.experiment.task_timeout == 0.5e6  # µs, like every duration


# --- limits before work (issue 14, item 6) ---------------------------------------------


def _with_data_file(experiment_file, name: str):
    return experiment_file("d.toml", components={"cpu": {"service": {
        "dist": "empirical", "file": name}}})


def test_a_fifo_or_device_as_data_file_is_refused_without_reading_it(experiment_file, tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe.csv")  # reading it would block for ever
    with pytest.raises(ConfigError, match="is not a regular file"):
        load(_with_data_file(experiment_file, "pipe.csv"))
    with pytest.raises(ConfigError, match="'/dev/zero' is not a regular file"):
        load(_with_data_file(experiment_file, "/dev/zero"))


def test_a_sweep_of_too_many_points_is_refused_before_any_is_built(experiment_file):
    path = experiment_file(sweep={"method": "lhs", "n": 10**9,
                                  "ranges": {"components.cpu.servers": [1, 4]}})
    with pytest.raises(ConfigError, match="1,000,000,000 design points; at most 20,000"):
        load(path)


def test_an_extends_chain_longer_than_its_limit_is_refused(write):
    write("f0.toml", '[experiment]\nname = "deep"\n')
    for i in range(1, 40):
        write(f"f{i}.toml", f'extends = "f{i - 1}.toml"\n')
    with pytest.raises(ConfigError, match="'extends' chain longer than 32 files"):
        load(write("top.toml", 'extends = "f39.toml"\n'))


def test_a_utf8_byte_order_mark_is_read_as_nothing(write, tiny):
    path = write("bom.toml", "\ufeff" + tiny)
    assert load(path).name == "tiny"
