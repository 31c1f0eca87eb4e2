"""The studies and data that ship with kernsim.

In the source tree they are the top-level ``experiments/`` and ``data/`` folders;
``pyproject.toml`` installs them as the packages ``kernsim.studies`` and
``kernsim.data``, so an editable install and a wheel in any venv find them the
same way, through :mod:`importlib.resources`. A study is named by its path below
``experiments/`` without ``.toml`` (``quickstart``, ``reproduce/haertig97``).
"""

from __future__ import annotations

import re
import shutil
import tomllib
from importlib.resources import files
from pathlib import Path

from kernsim.errors import KernsimError


def _folder(package: str) -> Path:
    where = files(package)
    if not isinstance(where, Path):  # e.g. a zipped install: no files on disk to read
        raise KernsimError(f"{package}: kernsim must be installed as files on disk, "
                           f"found {type(where).__name__}")
    return where


def studies_dir() -> Path:
    """The folder of the shipped study files (``experiments/`` of the source tree)."""
    return _folder("kernsim.studies")


def data_dir() -> Path:
    """The folder of the shipped data (``data/`` of the source tree)."""
    return _folder("kernsim.data")


def study_name(path: Path) -> str:
    """``reproduce/haertig97`` for ``<studies>/reproduce/haertig97.toml``."""
    return path.relative_to(studies_dir()).with_suffix("").as_posix()


def shipped() -> list[tuple[str, str, str]]:
    """(study name, experiment name, one-line description) of each shipped study."""
    rows = []
    for path in sorted(studies_dir().rglob("*.toml")):
        try:
            section = tomllib.loads(path.read_text(encoding="utf-8")).get("experiment", {})
        except (tomllib.TOMLDecodeError, OSError):
            continue
        text = section.get("description", "").strip().splitlines()
        rows.append((study_name(path), section.get("name", path.stem), text[0] if text else ""))
    return rows


def find(name: str) -> Path | None:
    """The shipped study called ``name`` (``quickstart``, ``reproduce/haertig97``,
    with or without ``.toml``), or None."""
    stem = name.removesuffix(".toml")
    if not stem or stem.startswith(("/", ".")) or ".." in Path(stem).parts:
        return None
    path = studies_dir() / f"{stem}.toml"
    return path if path.is_file() else None


def resolve(file: str | Path) -> Path:
    """An experiment file as given on the command line: an existing path, else a
    shipped study's name."""
    path = Path(file)
    if path.is_file():
        return path
    study = find(str(file))
    if study is not None:
        return study
    if path.exists():
        raise KernsimError(f"{file}: not a file; give an experiment TOML file or a shipped "
                           "study's name (`kernsim list` shows them)")
    raise KernsimError(f"{file}: no such experiment file, and no shipped study of that "
                       "name (`kernsim list` shows them)")


#: the keys through which a study names another file, relative to itself
_REFERENCE = re.compile(r'^(\s*(?:extends|model)\s*=\s*)"([^"]+)"', re.MULTILINE)


def _references(path: Path) -> list[Path]:
    """The files ``path`` names with ``extends = "..."`` or ``model = "..."``."""
    return [(path.parent / ref).resolve() for _, ref in _REFERENCE.findall(path.read_text())
            if (path.parent / ref).is_file()]


def init(folder: str | Path, name: str = "quickstart") -> list[Path]:
    """Copy the shipped study ``name`` into ``folder`` as ``<stem>.toml``, with every
    file it extends or names (at their places below ``folder``), so that it can be
    edited and run there. Refuses to replace a file. Returns the files written,
    the study first."""
    source = find(name)
    if source is None:
        raise KernsimError(f"init: study {name!r}: no shipped study of that name "
                           "(`kernsim list` shows them)")
    root, out = studies_dir().resolve(), Path(folder)
    if out.exists() and not out.is_dir():
        raise KernsimError(f"init: {folder}: exists and is not a folder")
    deps, todo = [], _references(source.resolve())
    while todo:
        dep = todo.pop()
        if dep not in deps:
            deps.append(dep)
            todo.extend(_references(dep))
    targets = {source: out / source.name} | {dep: out / dep.relative_to(root) for dep in deps}
    taken = [t for t in targets.values() if t.exists()]
    if taken:
        raise KernsimError(f"init: {taken[0]}: already exists; choose an empty folder")
    text = _REFERENCE.sub(lambda m: _moved(m, source.resolve().parent, root, out), source.read_text())
    for src, dst in targets.items():
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src is source:
            dst.write_text(text, encoding="utf-8")
        else:
            shutil.copyfile(src, dst)
    return list(targets.values())


def _moved(match: re.Match, here: Path, root: Path, out: Path) -> str:
    """The study's reference rewritten for its new place at the top of ``out``."""
    target = (here / match.group(2)).resolve()
    if not target.is_file():
        return match.group(0)
    return f'{match.group(1)}"{target.relative_to(root).as_posix()}"'
