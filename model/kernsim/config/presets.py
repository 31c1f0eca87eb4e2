"""Architecture presets: one ``[system]`` table expands into domains, placements and locks.

- ``monolithic``: every component in one kernel domain; calls are function
  calls; critical sections run under locks placed by ``system.lock_placement``
  (``global`` = one big kernel lock, ``component`` = one per component,
  ``stripes`` = ``system.lock.stripes`` per-object locks per component,
  ``none``).
- ``microkernel``: every component is its own server domain with ``threads``
  workers (the component's, else ``system.threads``); servers own their data,
  so no locks: critical sections are plain server work; steps between servers
  are IPC, or network messages when ``system.placement`` puts a server on
  another node (clients run on node 0).
- ``hybrid`` (L4Linux): the whole monolithic kernel as one user-level server
  ``linux`` with ``system.threads`` threads; a system call is an IPC call and
  reply into it; inside, locks as in ``monolithic``.
- ``multikernel`` (Barrelfish): every core keeps a replica of the kernel
  state, so work runs locally without locks; an update (a component's
  critical section) is a message instead of shared memory: to the state's
  owner core (``system.replication = "owner"``: a one-thread server
  ``<component>_owner`` applies it) or to every other replica (``"all"``: the
  caller sends ``cores - 1`` messages and applies its own copy).

The expansion works on the raw config mapping, before validation, so
``kernsim validate --expand`` can show it and a sweep may vary the
architecture.
"""

from __future__ import annotations

import copy

from kernsim.engine.spec import from_config
from kernsim.errors import ConfigError

PRESETS = ("monolithic", "microkernel", "hybrid", "multikernel")


def expand(raw: dict) -> dict:
    """``raw`` with the preset (if any) written out as domains, locks and placements."""
    system = raw.get("system")
    arch = system.get("architecture", "explicit") if isinstance(system, dict) else "explicit"
    if arch not in PRESETS:
        return raw
    _refuse_explicit(raw, arch)
    out = copy.deepcopy(raw)
    comps = out.get("components", {})
    if arch == "microkernel":
        _microkernel(out, comps)
    elif arch == "multikernel":
        _multikernel(out, comps, system.get("replication", "owner"))
    else:
        home = "kernel" if arch == "monolithic" else "linux"
        kind = "kernel" if arch == "monolithic" else "server"
        out["domains"] = {home: {"kind": kind, "threads": system.get("threads", 1)}}
        for comp in comps.values():
            comp["domain"] = home
        _place_locks(out, comps, system)
    return out


def _refuse_explicit(raw: dict, arch: str) -> None:
    for key in ("domains", "locks"):
        if raw.get(key):
            raise ConfigError(f"{key}: set by system.architecture = {arch!r}; "
                              "list them only with architecture = \"explicit\"")
    for name, comp in raw.get("components", {}).items():
        for key in ("domain", "lock", "owner", "broadcast"):
            if isinstance(comp, dict) and key in comp:
                raise ConfigError(f"components.{name}.{key}: set by system.architecture = "
                                  f"{arch!r}; use architecture = \"explicit\" to place it")


def _microkernel(out: dict, comps: dict) -> None:
    default = out["system"].get("threads", 1)
    placement = out["system"].get("placement", {})
    placement = placement if isinstance(placement, dict) else {}  # system.placement's check
    out["domains"] = {name: {"kind": "server", "threads": comp.get("threads", default),
                             "node": _node(placement.get(name, 0))}
                      for name, comp in comps.items()}
    for name, comp in comps.items():
        comp["domain"] = name


def _node(value: object) -> object:
    """A placement's node for the server's domain; a bad one is left to system.placement's
    own check (node 0 here), so the error names the key the user wrote."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if ok else 0


def _multikernel(out: dict, comps: dict, replication: str) -> None:
    out["domains"] = {"kernel": {"kind": "kernel"}}
    for name, comp in comps.items():
        comp["domain"] = "kernel"
        if not _has_critical(comp):
            continue
        if replication == "all":
            comp["broadcast"] = True
        else:
            comp["owner"] = f"{name}_owner"
            out["domains"][f"{name}_owner"] = {"kind": "server", "threads": 1}


def _place_locks(out: dict, comps: dict, system: dict) -> None:
    placement = system.get("lock_placement", "component")
    spec = dict(system.get("lock", {}))
    locked = [n for n, c in comps.items() if _has_critical(c)]
    if placement == "none" or not locked:
        return
    if placement == "global":
        out["locks"] = {"bkl": spec}
        for name in locked:
            comps[name]["lock"] = "bkl"
        return
    if placement == "component":
        spec["stripes"] = 1
    out["locks"] = {name: dict(spec) for name in locked}
    for name in locked:
        comps[name]["lock"] = name


def _has_critical(comp: dict) -> bool:
    """Does the component declare work under a lock? (Bad values: left to validation.)"""
    try:
        return from_config(comp.get("critical", 0)).mean > 0
    except ValueError:
        return True
