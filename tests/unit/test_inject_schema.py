"""Bad values of the injection keys (locks, corruption, ttf, down) and of
``[faults.performability]``: one line naming the key, the value and the rule."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from kernsim.errors import ConfigError
from kernsim.experiment.load import from_dict, load

ROOT = Path(__file__).resolve().parents[2]

INJ = {
    "experiment": {"name": "inj", "warmup": "200us", "duration": "3ms", "replications": 1},
    "system": {"architecture": "microkernel", "cores": 2},
    "workload": {"kind": "open", "interarrival": "10us",
                 "classes": {"io": {"path": ["fs", "drv"]}}},
    "components": {"fs": {"service": 1.0}, "drv": {"service": 1.0}},
    "faults": {"mode": "injection", "target": "drv"},
}

PERF = """\
[experiment]
name = "perf"
duration = "1ms"

[system]
architecture = "microkernel"

[workload]
interarrival = "10us"

[components.fs]
service = "1us"

[components.drv]
service = "1us"
"""

DEP = {
    "experiment": {"name": "dep", "duration": "10h"},
    "faults": {"mode": "dependability",
               "units": {"drv": {"ttf": {"dist": "exponential", "mean": "1h"}, "repair": "1s"}},
               "performability": {"model": "perf.toml"}},
}


def injection(drop: tuple[str, ...] = (), **faults) -> dict:
    raw = copy.deepcopy(INJ)
    raw["faults"].update(faults)
    for key in drop:
        del raw["faults"][key]
    return raw


def dependability(units: dict | None = None, **perf) -> dict:
    raw = copy.deepcopy(DEP)
    raw["faults"]["performability"].update(perf)
    if units is not None:
        raw["faults"]["units"] = units
    return raw


UNIT = {"ttf": {"dist": "exponential", "mean": "1h"}, "repair": "1s"}

INJECTION_CASES = [
    ("locks-unknown", injection(locks="lock"),
     ("faults.locks = 'lock'", "'release' or 'poison'")),
    ("detect-above-1", injection(kind="corruption", detect=1.5),
     ("faults.detect = 1.5", "less than or equal to 1")),
    ("detect-on-a-crash", injection(detect=0.5),
     ("faults.detect = 0.5", 'only kind = "corruption"', "'crash'")),
    ("latency-on-a-hang", injection(kind="hang", latency="1ms"),
     ("faults.latency = '1ms'", 'only kind = "corruption"', "'hang'")),
    ("latency-negative-mean", injection(kind="corruption",
                                        latency={"dist": "exponential", "mean": -1}),
     ("faults.latency.mean", "-1", "must be >= 0")),
    ("ttf-and-at", injection(ttf="1ms", at="2ms"),
     ("faults.at = '2ms'", "either 'at'", "or 'ttf'")),
    ("ttf-zero", injection(ttf=0), ("faults.ttf = 0", "mean > 0")),
    ("down-unknown", injection(drop=("target",), down=["nope"]),
     ("faults.down[0]", "unknown component or domain 'nope'", "known: drv, fs")),
    ("down-with-a-target", injection(down=["drv"]),
     ("faults.target = 'drv'", "'down'", "leave it out")),
]


@pytest.mark.parametrize("raw, fragments", [c[1:] for c in INJECTION_CASES],
                         ids=[c[0] for c in INJECTION_CASES])
def test_bad_injection_value_names_the_key(raw, fragments):
    assert_one_line(raw, fragments, None)


PERF_CASES = [
    ("model-missing", dependability(model="nope.toml"),
     ("faults.performability.model", "nope.toml", "no such experiment file")),
    ("unit-not-in-model", dependability(units={"disk": UNIT}),
     ("faults.units.disk = 'disk'", "component or domain of the performance model",
      "known: drv, fs")),
    ("unit-count-2", dependability(units={"drv": {**UNIT, "count": 2}}),
     ("faults.units.drv.count = 2", "must be 1")),
    ("replications-zero", dependability(replications=0),
     ("faults.performability.replications = 0", "greater than or equal to 1")),
    ("duration-unknown-unit", dependability(duration="3 weeks"),
     ("faults.performability.duration", "unknown unit 'weeks'")),
    ("unknown-key", dependability(runs=3),
     ("faults.performability.runs: unknown key", "model, replications, duration")),
]


@pytest.mark.parametrize("raw, fragments", [c[1:] for c in PERF_CASES],
                         ids=[c[0] for c in PERF_CASES])
def test_bad_performability_value_names_the_key(raw, fragments, tmp_path):
    (tmp_path / "perf.toml").write_text(PERF, encoding="utf-8")
    assert_one_line(raw, fragments, tmp_path / "x.toml")


def test_performability_model_must_be_the_os_model(tmp_path):
    queue = PERF.replace('[system]\narchitecture = "microkernel"\n', "")
    (tmp_path / "perf.toml").write_text(queue, encoding="utf-8")
    assert_one_line(dependability(units={"fs": UNIT}), (
        "faults.performability.model", "needs the OS model"), tmp_path / "x.toml")


def test_performability_model_path_is_relative_to_the_experiment_file(tmp_path):
    (tmp_path / "perf.toml").write_text(PERF, encoding="utf-8")
    spec = from_dict(dependability(), tmp_path / "x.toml").config.faults.performability
    assert Path(spec.model) == (tmp_path / "perf.toml").resolve()
    down = spec.degraded(frozenset({"drv"}))
    assert down.faults.down == ["drv"] and down.experiment.duration == 1000.0


def test_shipped_performability_files_validate():
    exp = load(ROOT / "experiments" / "performability.toml")
    assert exp.config.faults.performability.names() >= {"drv", "fs"}
    detailed = load(ROOT / "experiments" / "performability_model.toml").config
    assert detailed.faults.ttf is not None


def test_bad_performability_model_exits_2_with_one_line(kernsim, write):
    write("x.toml", "[experiment]\nname = 'dep'\nduration = '10h'\n[faults]\n"
          "mode = 'dependability'\nunits.drv = { ttf = '1h', repair = '1s' }\n"
          "performability = { model = 'nope.toml' }\n")
    proc = kernsim("validate", "x.toml")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert any("faults.performability.model" in ln and "nope.toml" in ln
               for ln in proc.stderr.splitlines()), proc.stderr


def assert_one_line(raw: dict, fragments: tuple[str, ...], path: Path | None) -> None:
    with pytest.raises(ConfigError) as err:
        from_dict(raw, path)
    lines = str(err.value).splitlines()
    assert any(all(f in line for f in fragments) for line in lines), str(err.value)
