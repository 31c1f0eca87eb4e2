"""Paths the command line will write: checked before any work, one line naming the option.

``output_file`` for a file (``bench --save``, ``report --out``), ``output_folder`` for a
folder (``reproduce --out``): it may not exist yet, but nothing on its way may be a file.
"""

from __future__ import annotations

from pathlib import Path

from kernsim.errors import KernsimError


def output_folder(path: Path, option: str) -> Path:
    """``path`` as a folder to write into: a folder or nothing yet, below folders only."""
    if path.exists() and not path.is_dir():
        raise KernsimError(f"{option} {path}: exists and is not a folder")
    _ancestors(path, option)
    return path


def output_file(path: Path, option: str) -> Path:
    """``path`` as a file to (over)write: not a folder, below folders only."""
    if path.is_dir():
        raise KernsimError(f"{option} {path}: is a folder; give a file's path")
    _ancestors(path, option)
    return path


def _ancestors(path: Path, option: str) -> None:
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise KernsimError(f"{option} {path}: {parent} is a file, not a folder")
            return
