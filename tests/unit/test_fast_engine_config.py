"""``experiment.engine``: bad values, through the real ``kernsim`` command.

As in test_bad_input.py: exit status 2, no traceback, one stderr line naming
the key, the value and what is allowed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

#: a valid dependability file (the fast engine's only input); each case breaks one thing
DEPENDABILITY = """\
[experiment]
name = "dep"
duration = "1000h"
engine = "fast"

[faults]
mode = "dependability"

[faults.units.web]
count = 3
ttf = { dist = "exponential", mean = "1000h" }
repair = "2h"

[faults.units.db]
ttf = { dist = "exponential", mean = "2000h" }
repair = "1h"

[faults.edges]
"db->web" = 0.3
"""

QUEUE = """\
[experiment]
name = "tiny"
duration = "2000us"
engine = "fast"

[workload]
interarrival = { dist = "exponential", mean = "10us" }

[components.cpu]
service = { dist = "exponential", mean = "5us" }
"""

CASES = [
    ("unknown-engine", DEPENDABILITY.replace('engine = "fast"', 'engine = "turbo"'),
     ("experiment.engine = 'turbo'", "'simpy' or 'fast'")),
    ("fast-without-faults", QUEUE,
     ("experiment.engine = 'fast'", "blast-radius question", 'mode = "dependability"',
      "no [faults] table", 'engine = "simpy"')),
    ("fast-with-injection", QUEUE + '[faults]\nmode = "injection"\ntarget = "cpu"\n',
     ("experiment.engine = 'fast'", 'mode = "dependability"', 'faults.mode = "injection"')),
    ("fast-with-quorum", DEPENDABILITY + "[faults.units.web.needs]\ndb = 1\n",
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
    shipped = Path(__file__).resolve().parents[2] / "experiments" / "performability.toml"
    proc = kernsim("validate", shipped, "--set", 'experiment.engine="fast"')
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert any("experiment.engine = 'fast'" in ln and "[faults.performability]" in ln
               for ln in proc.stderr.splitlines()), proc.stderr
