"""The experiment files shipped with kernsim."""

from __future__ import annotations

import tomllib
from pathlib import Path


def experiments_dir() -> Path:
    """``experiments/`` of the source tree (editable install) or of the working folder."""
    here = Path(__file__).resolve().parents[2] / "experiments"
    return here if here.is_dir() else Path.cwd() / "experiments"


def shipped() -> list[tuple[str, str, str]]:
    """(relative path, name, one-line description) of each shipped experiment."""
    root = experiments_dir()
    rows = []
    for path in sorted(root.rglob("*.toml")):
        try:
            section = tomllib.loads(path.read_text()).get("experiment", {})
        except (tomllib.TOMLDecodeError, OSError):
            continue
        text = section.get("description", "").strip().splitlines()
        rows.append((str(path.relative_to(root.parent)), section.get("name", path.stem),
                     text[0] if text else ""))
    return rows
