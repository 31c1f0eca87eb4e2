"""``kernsim.config.schema``: bad values of ``experiment.engine``, through the real
``kernsim`` command.

As for every bad input (tests/unit/test_cli.py): exit status 2, no traceback, one
stderr line naming the key, the value and what is allowed.
"""

from __future__ import annotations

import pytest
from experiment_files import ROOT, experiment_text

#: a valid dependability file (the fast engine's only input); each case breaks one thing
DEPENDABILITY = experiment_text("dependability", experiment={"engine": "fast"})
#: tests/fixtures/tiny.toml on the fast engine, which has no queues
QUEUE = experiment_text("tiny", experiment={"engine": "fast"})

CASES = [
    ("unknown-engine", experiment_text("dependability", experiment={"engine": "turbo"}),
     ("experiment.engine = 'turbo'", "'simpy' or 'fast'")),
    ("fast-without-faults", QUEUE,
     ("experiment.engine = 'fast'", "blast-radius question", 'mode = "dependability"',
      "no [faults] table", 'engine = "simpy"')),
    ("fast-with-injection",
     experiment_text("tiny", experiment={"engine": "fast"},
                     faults={"mode": "injection", "target": "cpu"}),
     ("experiment.engine = 'fast'", 'mode = "dependability"', 'faults.mode = "injection"')),
    ("fast-with-quorum",
     experiment_text("dependability", experiment={"engine": "fast"},
                     faults={"units": {"web": {"needs": {"db": 1}}}}),
     ("experiment.engine = 'fast'", "faults.units.web.needs", 'engine = "simpy"')),
]


@pytest.mark.parametrize("text, line", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_engine_exits_2_with_one_line_naming_the_key(text, line, kernsim, write):
    write("x.toml", text)
    proc = kernsim("validate", "x.toml")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert any(all(f in ln for f in line) for ln in proc.stderr.splitlines()), proc.stderr


def test_the_fast_dependability_file_validates(kernsim, write):
    write("x.toml", DEPENDABILITY)
    proc = kernsim("validate", "x.toml")
    assert proc.returncode == 0, proc.stderr


def test_fast_refuses_performability(kernsim):
    """The two-scale reward weighs states by time, which the fast engine does not have."""
    shipped = ROOT / "experiments" / "performability.toml"
    proc = kernsim("validate", shipped, "--set", 'experiment.engine="fast"')
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert any("experiment.engine = 'fast'" in ln and "[faults.performability]" in ln
               for ln in proc.stderr.splitlines()), proc.stderr
