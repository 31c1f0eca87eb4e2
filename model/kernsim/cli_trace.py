"""``kernsim trace DIR --format perfetto``: a results folder's request traces, exported.

Cheap to import (the ``kernsim`` command imports it for its parser); the work is
in :mod:`kernsim.analysis.perfetto`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kernsim.cli_paths import output_file
from kernsim.cli_types import count

HELP = ("Export the request traces of a results folder (trace.parquet, from `run --trace` "
        "or experiment.trace) as Chrome trace-event JSON for Perfetto UI.")


def arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", metavar="FOLDER", type=Path, help="Results folder.")
    p.add_argument("--format", default="perfetto", choices=("perfetto",),
                   help="perfetto: Chrome trace-event JSON (default).")
    p.add_argument("--out", type=Path, help="JSON file (default: FOLDER/trace.json).")
    p.add_argument("--design-point", type=count(0), help="Only this design point.")
    p.add_argument("--replication", type=count(0), help="Only this replication.")


def cmd_trace(a: argparse.Namespace) -> tuple[Path, int]:
    """Write the JSON; return its path and how many spans it holds."""
    from kernsim.analysis.perfetto import chrome_trace, load_trace

    target = output_file(a.out, "--out") if a.out else a.folder / "trace.json"
    df = load_trace(a.folder, a.design_point, a.replication)
    target.write_text(json.dumps(chrome_trace(df)), encoding="utf-8")
    return target, len(df)
