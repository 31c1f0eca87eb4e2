"""A dotted key (``--set``, a swept key) must name something that exists.

Most of the config is fixed tables, where the schema refuses an unknown key. A
few tables are *named collections* (components, request classes, domains,
locks, fault units): any name is a valid key there, so a typo such as
``components.sever.servers = 3`` would silently create a new, zero-cost
station. A key that reaches into a member that neither the file, its
``extends`` chain nor the architecture preset defines is refused, with the
nearest known names; a new member is created only as a whole table
(``--set 'components.x={service = "5us"}'``).
"""

from __future__ import annotations

import copy
import difflib
from typing import Any

from kernsim.config import presets
from kernsim.errors import ConfigError, KernsimError

#: named collections (dotted path -> what one member is called in a message)
COLLECTIONS: dict[tuple[str, ...], str] = {
    ("components",): "component",
    ("workload", "classes"): "request class",
    ("domains",): "domain",
    ("locks",): "lock",
    ("faults", "units"): "fault unit",
}


def check(raw: dict, parts: list[str], value: Any, where: str) -> None:
    """Refuse ``parts`` (a split dotted key, set to ``value``) if it reaches into a member
    of a named collection that ``raw`` does not define, unless it sets that member
    whole (a table). ``where`` starts the message (``--set``, ``sweep``)."""
    for n in range(1, len(parts)):
        kind = COLLECTIONS.get(tuple(parts[:n]))
        if kind is None:
            continue
        member, known = parts[n], members(raw, parts[:n])
        whole = len(parts) == n + 1 and isinstance(value, dict)
        if member in known or whole:
            return
        near = difflib.get_close_matches(member, known, n=3)
        hint = f"; did you mean {' or '.join(repr(m) for m in near)}?" if near else ""
        table = ".".join(parts[:n + 1])
        raise ConfigError(
            f"{where} {'.'.join(parts)}: no {kind} {member!r} in this experiment (known: "
            f"{', '.join(sorted(known)) or 'none'}){hint or '.'} To add one, set it whole: "
            f"{table}={{...}}")


def members(raw: dict, path: list[str]) -> list[str]:
    """The names a collection holds in ``raw`` or after its architecture preset (each
    swept architecture's too)."""
    names: list[str] = []
    for table in (raw, *(_expanded(variant) for variant in _architectures(raw))):
        node: Any = table
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            names += [k for k in node if k not in names]
    return names


def _architectures(raw: dict) -> list[dict]:
    """``raw``, and ``raw`` with each value of a swept ``system.architecture``."""
    sweep = raw.get("sweep")
    swept = sweep.get("system.architecture") if isinstance(sweep, dict) else None
    variants = [raw]
    for arch in swept if isinstance(swept, list) else []:
        system = raw.get("system")
        variants.append({**raw, "system": {**(system if isinstance(system, dict) else {}),
                                           "architecture": arch}})
    return variants


def _expanded(raw: dict) -> dict:
    """``raw`` after its architecture preset (the preset may add domains, components)."""
    try:
        return presets.expand(copy.deepcopy(raw))
    except (KernsimError, ValueError, TypeError, KeyError, AttributeError):
        return {}  # validation reports what is wrong with the preset
