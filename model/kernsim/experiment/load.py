"""Load an experiment file: TOML, ``extends``, ``--set`` overrides, validation, sweep."""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from kernsim.config import presets as arch
from kernsim.config.faults import PERFORMANCE_MODELS
from kernsim.config.messages import config_error
from kernsim.config.schema import Config, SystemOnly
from kernsim.config.types import DISTRIBUTIONS
from kernsim.engine.dists import Distribution
from kernsim.errors import ConfigError
from kernsim.experiment import arguments, keys
from kernsim.experiment.sweep import expand

if TYPE_CHECKING:
    import pandas as pd

#: keys that may change between runs of one results folder without making it
#: a different experiment (more replications, or a precision target, extend it;
#: see Store and the runner)
UNHASHED = (("experiment", "replications"), ("experiment", "description"),
            ("experiment", "task_timeout"), ("experiment", "precision"))


@dataclass(frozen=True)
class DesignPoint:
    """One combination of swept values and the full config it yields."""

    index: int
    params: dict[str, Any]
    config: Config


@dataclass
class Experiment:
    """A validated experiment: base config, its design points and identity."""

    path: Path | None
    raw: dict
    config: Config
    points: list[DesignPoint] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # referenced file -> content hash, at load
    #: warmup = "auto": each design point's pilot response times, by completion time
    pilots: dict[int, pd.Series] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.config.experiment.name

    @property
    def replications(self) -> int:
        return self.config.experiment.replications

    @property
    def config_hash(self) -> str:
        return config_hash(self.raw, self.files)

    def resolved(self) -> dict:
        """The base config as validated, JSON-ready (units already in µs)."""
        return self.config.model_dump(mode="json")


def load(path: str | Path, overrides: list[str] | tuple = ()) -> Experiment:
    """Read, merge, override, validate and expand an experiment file."""
    path = arguments.path("path", path, "an experiment file's path")
    raw = read_toml(path)
    for text in arguments.overrides(overrides):
        key, value = parse_override(text)
        keys.check(raw, key_parts(key), value, "--set")
        set_dotted(raw, key, value)
    return from_dict(raw, path)


def from_dict(raw: dict, path: Path | None = None) -> Experiment:
    """Validate a config mapping (already merged) and expand its sweep."""
    where = f"{path}: " if path else ""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}the experiment must be a table of sections; "
                          f"got {type(raw).__name__}")
    for section in ("experiment", "workload", "system", "faults", "sweep"):
        if section in raw and not isinstance(raw[section], dict):
            raise ConfigError(f"{where}{section} = {raw[section]!r}: must be a table "
                              f"([{section}])")
    raw = copy.deepcopy(raw)
    base = Path(path).parent if path else Path.cwd()
    resolve_files(raw, base)
    auto = raw.get("experiment", {}).get("warmup") == "auto"
    checked = _with_warmup(raw, 0.0) if auto else raw
    built: dict[str, Distribution] = {}  # every distribution of the run, built once
    config = validate(checked, where=str(path) if path else "", built=built)
    exp = Experiment(path=path, raw=raw, config=config, files=_referenced(raw))
    exp.points = design_points(checked, config, built)
    if auto:  # the pilot needs the model and pandas: imported only for warmup = "auto"
        from kernsim.experiment.warmup import choose_warmups

        choose_warmups(exp)
    return exp


def _with_warmup(raw: dict, value: float) -> dict:
    out = copy.deepcopy(raw)
    out["experiment"]["warmup"] = value
    return out


def validate(raw: dict, where: str = "", built: dict[str, Distribution] | None = None) -> Config:
    """Expand an architecture preset, read the performance model it names, then
    check every key and value; distributions are built here (``built``: those of
    the run so far, by their config text, shared by its design points)."""
    context = {DISTRIBUTIONS: {} if built is None else built}
    system = raw.get("system")
    if isinstance(system, dict) and system.get("architecture", "explicit") in arch.PRESETS:
        try:
            SystemOnly.model_validate({"system": system}, context=context)
        except ValidationError as err:
            raise config_error(err, SystemOnly, where) from None
    expanded = arch.expand(raw)
    context[PERFORMANCE_MODELS] = _performance_models(expanded)
    try:
        return Config.model_validate(expanded, context=context)
    except ValidationError as err:
        raise config_error(err, Config, where) from None


def _performance_models(raw: dict) -> dict[str, tuple[Config, str] | str]:
    """``faults.performability.model`` (already an absolute path) -> its loaded config and
    hash, or the reason it cannot be used; the schema checks and attaches it."""
    faults = raw.get("faults")
    perf = faults.get("performability") if isinstance(faults, dict) else None
    model = perf.get("model") if isinstance(perf, dict) else None
    if not isinstance(model, str):
        return {}
    try:
        inner = read_toml(Path(model)).get("faults")
        if isinstance(inner, dict) and inner.get("mode") == "dependability":
            # refused before loading: it could refer back here
            return {model: "is a dependability file; the model must be a performance model "
                           "(requests, no faults.mode = \"dependability\")"}
        exp = load(model)
    except ConfigError as err:
        text = "; ".join(line.strip() for line in str(err).splitlines())
        return {model: f"cannot load the performance model: {text}"}
    return {model: (exp.config, exp.config_hash)}


def design_points(raw: dict, config: Config,
                  built: dict[str, Distribution] | None = None) -> list[DesignPoint]:
    """Apply each sweep combination to the base config and validate it."""
    points = []
    checked: set[tuple[str, bool]] = set()  # a key's check depends only on table-or-not
    for i, params in enumerate(expand(config.sweep, config.experiment.seed)):
        if not params:
            points.append(DesignPoint(i, {}, config))
            continue
        # the sweep table is shared, not copied: copying it per point made a long sweep
        # quadratic (20,000 values: minutes); nothing writes into it
        variant = copy.deepcopy({k: v for k, v in raw.items() if k != "sweep"})
        if "sweep" in raw:
            variant["sweep"] = raw["sweep"]
        for key, value in params.items():
            if (key, isinstance(value, dict)) not in checked:  # once, not once per point
                _sweepable(key)
                keys.check(raw, key_parts(key), value, "sweep:")
                checked.add((key, isinstance(value, dict)))
            set_dotted(variant, key, value)
        where = "sweep point " + ", ".join(f"{k}={v!r}" for k, v in params.items())
        points.append(DesignPoint(i, params, validate(variant, where, built)))
    return points


FIXED = ("experiment.name", "experiment.replications")


def _sweepable(key: str) -> None:
    if key in FIXED or key.startswith("sweep."):
        raise ConfigError(f"sweep.{key}: this key cannot be swept (it names the experiment)")


#: at most this many files in one ``extends`` chain
MAX_EXTENDS = 32


def read_toml(path: Path, seen: tuple = ()) -> dict:
    """Parse a TOML file and merge it over the file it ``extends``."""
    path = path.resolve() if path.exists() else path
    if len(seen) >= MAX_EXTENDS:
        raise ConfigError(f"{path}: 'extends' chain longer than {MAX_EXTENDS} files")
    if path in seen:
        cycle = " -> ".join(map(str, seen[seen.index(path):] + (path,)))
        raise ConfigError(f"{path}: 'extends' forms a cycle: {cycle}")
    data = _parse(path)
    resolve_files(data, path.parent)  # each file's references are relative to that file
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: extends = {parent!r}: must be a path to another TOML file")
    target = path.parent / parent
    if not target.is_file():
        raise ConfigError(f"{path}: extends = {parent!r}: no such file ({target})")
    base = read_toml(target, seen + (path,))
    return deep_merge(base, data)


#: an experiment file larger than this is refused before it is read
MAX_TOML_BYTES = 16 * 2**20


def _parse(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(f"{path}: no such experiment file")
    if path.stat().st_size > MAX_TOML_BYTES:
        raise ConfigError(f"{path}: {path.stat().st_size:,} bytes; an experiment file has at "
                          f"most {MAX_TOML_BYTES:,}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8").removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (expected TOML)") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to read") from None


def deep_merge(base: dict, over: dict) -> dict:
    """``over`` wins; tables merge key by key, except that a table naming its ``dist``
    replaces the base one whole (merging two families' keys gives no distribution)."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and "dist" not in value and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_override(text: str) -> tuple[str, Any]:
    """'a.b=3' -> ('a.b', 3); the value is read as TOML, else taken as a string."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {text!r}: expected key=value, e.g. experiment.replications=5")
    try:
        return key, tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return key, value.strip()


def key_parts(key: str) -> list[str]:
    """``a.b."c.d"`` -> ['a', 'b', 'c.d']: dots split, except inside TOML quotes."""
    if '"' not in key and "'" not in key:
        parts = key.split(".")
        if not all(part.strip() for part in parts):
            raise ConfigError(f"--set key {key!r}: an empty part between dots; write "
                              "section.key (quote a part that holds a dot)")
        return parts
    try:
        node = tomllib.loads(f"{key} = 0")
    except tomllib.TOMLDecodeError:
        raise ConfigError(f"--set key {key!r}: not a valid (dotted, quoted) TOML key") from None
    parts = []
    while isinstance(node, dict):
        (part, node), = node.items()
        parts.append(part)
    return parts


def set_dotted(table: dict, key: str, value: Any) -> None:
    """Set ``a.b.c`` (TOML quotes keep dots: ``sweep."a.b"``) in nested dicts, creating
    tables on the way."""
    parts = key_parts(key)
    node = table
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{key}: '{part}' holds a value, not a table")
        node = child
    node[parts[-1]] = value


def resolve_files(raw: Any, base: Path) -> None:
    """Make ``file = "..."`` entries of distributions, and ``performability.model``,
    absolute: relative to the folder of the experiment file that names them."""
    if isinstance(raw, dict):
        if raw.get("dist") in ("empirical", "fit") and isinstance(raw.get("file"), str):
            raw["file"] = _find(raw["file"], base)
        perf = raw.get("performability")
        if isinstance(perf, dict) and isinstance(perf.get("model"), str):
            perf["model"] = _find(perf["model"], base)
        for value in raw.values():
            resolve_files(value, base)
    elif isinstance(raw, list):
        for value in raw:
            resolve_files(value, base)


def _find(name: str, base: Path) -> str:
    return str((base / name).resolve())


def config_hash(raw: dict, files: dict[str, str] | None = None) -> str:
    """A stable hash of the config, ignoring keys that only extend a run, and
    covering the content of every file it refers to (data files, performance
    models): ``files`` as :func:`_referenced` gives it (default: read them now)."""
    data = copy.deepcopy(raw)
    for section, key in UNHASHED:
        data.get(section, {}).pop(key, None)
    data["_files"] = _referenced(raw) if files is None else files
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _referenced(raw: Any) -> dict[str, str]:
    """Path -> content hash of the files ``raw`` refers to (as :func:`resolve_files` finds
    them): a data file by its bytes, a performance model by its own config hash."""
    out: dict[str, str] = {}
    if isinstance(raw, dict):
        if raw.get("dist") in ("empirical", "fit") and isinstance(raw.get("file"), str):
            out[raw["file"]] = _file_hash(Path(raw["file"]))
        perf = raw.get("performability")
        if isinstance(perf, dict) and isinstance(perf.get("model"), str):
            model = Path(perf["model"])
            out[perf["model"]] = _model_hash(model) if model.is_file() else ""
        for value in raw.values():
            out.update(_referenced(value))
    elif isinstance(raw, list):
        for value in raw:
            out.update(_referenced(value))
    return out


def _model_hash(path: Path) -> str:
    """A referenced experiment file's own hash (its data files resolved next to it)."""
    raw = read_toml(path)
    resolve_files(raw, path.parent)
    return config_hash(raw)


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else ""
