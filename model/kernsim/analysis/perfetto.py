"""Request traces as Chrome trace-event JSON, which Perfetto UI (ui.perfetto.dev) opens.

:func:`load_trace` reads ``trace.parquet`` (one row per span, see
:mod:`kernsim.system.trace`); :func:`chrome_trace` turns it into the JSON
object format of the trace-event spec: ``X`` complete events (``ts`` and
``dur`` in µs, the model's own unit), ``M`` metadata naming processes and
threads, and one flow (``s``, ``t``…, ``f``) per request. Each traced
replication (design point × replication) gets its own processes:

- ``node<i> cores``: one thread per core; ``cpu`` spans named by category;
- ``server <name>``: one thread per server thread; the request holding it;
- ``locks``: one thread per lock; its critical sections (``lock_hold``);
- ``domains``: a domain down until its restart (``restart``);
- ``requests``: one thread per request: its lifetime, with the waits inside
  it (``core_wait``, ``thread_wait``, ``lock_wait``, ``io``, ``net``) and a
  ``fault``.

Every span's ``args`` hold ``request``, ``category``, ``design_point`` and
``replication``; the flow runs from the request's lifetime through its CPU
and server-thread spans in time order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from kernsim.experiment.store import Store, read_folder_file

#: where each kind of span goes: (process, thread by unit or by resource)
ON_CORES, ON_THREADS = "cpu", "thread"
REQUEST_KINDS = ("request", "core_wait", "thread_wait", "lock_wait", "io", "net", "fault")


def load_trace(path: str | Path, design_point: int | None = None,
               replication: int | None = None) -> pd.DataFrame:
    """The spans of a results folder's ``trace.parquet``, optionally of one design point
    and/or replication; ``df.attrs["trace"]`` is the run's ``experiment.trace``."""
    folder, df = read_folder_file(path, "trace.parquet",
                                  "run with `kernsim run --trace`, or set experiment.trace")
    if design_point is not None:
        df = df[df["design_point"] == design_point]
    if replication is not None:
        df = df[df["replication"] == replication]
    config = Store(folder).manifest().get("config", {})
    df = df.reset_index(drop=True)
    df.attrs["trace"] = (config.get("experiment") or {}).get("trace")
    return df


class _Ids:
    """Process and thread ids, with their ``M`` name events, in order of first use."""

    def __init__(self) -> None:
        self.pids: dict[tuple, int] = {}
        self.tids: dict[tuple, int] = {}
        self.meta: list[dict] = []

    def pid(self, key: tuple, name: str) -> int:
        if key not in self.pids:
            self.pids[key] = pid = len(self.pids) + 1
            self.meta.append({"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
                              "args": {"name": name}})
            self.meta.append({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0,
                              "args": {"sort_index": pid}})
        return self.pids[key]

    def tid(self, pid: int, key: object, name: str, order: int) -> int:
        if (pid, key) not in self.tids:
            self.tids[(pid, key)] = tid = len(self.tids) + 1
            self.meta.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
                              "args": {"name": name}})
            self.meta.append({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid,
                              "args": {"sort_index": order}})
        return self.tids[(pid, key)]


def _track(ids: _Ids, dp: int, rep: int, span: pd.Series) -> tuple[int, int, str]:
    """(pid, tid, event name) of one span."""
    head = f"dp{dp} r{rep} · "
    kind, resource, unit = span.kind, span.resource, int(span.unit)
    if kind == ON_CORES:
        pid = ids.pid((dp, rep, "cores", resource), f"{head}{resource} cores")
        return pid, ids.tid(pid, unit, f"core {unit}", unit), span.category
    if kind == ON_THREADS:
        pid = ids.pid((dp, rep, "server", resource), f"{head}server {resource}")
        return pid, ids.tid(pid, unit, f"thread {unit}", unit), f"request {span.request}"
    if kind == "lock_hold":
        pid = ids.pid((dp, rep, "locks"), f"{head}locks")
        return pid, ids.tid(pid, resource, resource, 0), f"request {span.request}"
    if kind == "restart":
        pid = ids.pid((dp, rep, "domains"), f"{head}domains")
        return pid, ids.tid(pid, resource, resource, 0), f"down ({span.category})"
    pid = ids.pid((dp, rep, "requests"), f"{head}requests")
    tid = ids.tid(pid, int(span.request), f"request {span.request}", int(span.request))
    name = (f"{resource} ({span.category})" if kind == "request"
            else f"{kind} {resource}".strip() if kind != "fault" else f"fault ({span.category})")
    return pid, tid, name


def _spans(df: pd.DataFrame) -> Iterator[tuple[int, int, pd.DataFrame]]:
    for (dp, rep), group in df.groupby(["design_point", "replication"], sort=True):
        # outer spans first at a tie, so that nested ones follow their parent
        order = group.assign(_len=group["end"] - group["start"])
        yield int(dp), int(rep), order.sort_values(["start", "_len"], ascending=[True, False],
                                                   kind="stable")


def chrome_trace(df: pd.DataFrame) -> dict:
    """Trace-event JSON (object format) of the spans ``df`` (as :func:`load_trace` gives)."""
    ids, events, flows = _Ids(), [], 0
    for dp, rep, group in _spans(df):
        steps: dict[int, list[tuple[float, int, int]]] = {}
        for span in group.itertuples(index=False):
            pid, tid, name = _track(ids, dp, rep, span)
            start, dur = float(span.start), float(span.end) - float(span.start)
            events.append({"ph": "X", "name": name, "cat": span.kind, "pid": pid, "tid": tid,
                           "ts": start, "dur": dur,
                           "args": {"request": int(span.request), "category": span.category,
                                    "resource": span.resource, "design_point": dp,
                                    "replication": rep}})
            if span.request >= 0 and span.kind in ("request", ON_CORES, ON_THREADS):
                steps.setdefault(int(span.request), []).append((start, pid, tid))
        for request, points in steps.items():
            if len(points) < 2:
                continue
            flows += 1
            for i, (ts, pid, tid) in enumerate(points):
                ph = "s" if i == 0 else "f" if i == len(points) - 1 else "t"
                event = {"ph": ph, "name": f"request {request}", "cat": "request", "id": flows,
                         "pid": pid, "tid": tid, "ts": ts}
                if ph == "f":
                    event["bp"] = "e"
                events.append(event)
    return {"traceEvents": ids.meta + events, "displayTimeUnit": "ns",
            "otherData": {"trace": df.attrs.get("trace"), "time_unit": "us"}}
