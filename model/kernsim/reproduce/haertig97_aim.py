"""Härtig et al. 1997, Figure 9: the AIM curves, calibrated on native Linux, predicted for L4Linux.

The AIM-like mix (``experiments/workloads/aim.toml``) runs on the calibrated
structures of ``haertig97_cal`` over a grid of model user counts. An AIM job is
not the mix's request, and the mix's users are not AIM's load units, so the
native Linux curve of Figure 9 calibrates both scales:

- the level: at each AIM load the prediction starts from the native curve's own
  value (interpolated linearly between its digitised points);
- the load: each AIM load maps to the model user count at which the model's native
  throughput, as a share of its maximum, equals the native curve's share of its
  maximum there (the model curve made monotone, inverted by interpolation).

The model predicts the L4Linux curve point by point as native × (L4Linux / native
throughput of the model at that user count, per replication), then its slowdowns
(native / L4Linux − 1: averaged over the curve's loads, and at the largest load),
its maximum and the maximum's penalty against the native maximum; and, with no
published value (held back by the reference notes), both MkLinux maxima.

Every system call refills the 45-line footprint (class working sets; one refill per
call, as in the Table 3 presets). The copy cost is set to zero (``copy_cost_per_byte
= 0``): L4Linux's server copies from and to user space directly, so no IPC copies the
payload twice, and the one user/kernel copy every structure pays is in the mix's work.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kernsim.reproduce import compare, published, runs
from kernsim.reproduce.compare import Row
from kernsim.reproduce.haertig97_cal import FOOTPRINT, L4, MK_IN, MK_USER, NATIVE, Calibration

NAME = "haertig97"
CURVE = "AIM jobs per minute"
MAX, BELOW = "AIM max throughput", "AIM max throughput below native"
SLOW_AVG, SLOW_MAX = "AIM slowdown averaged over all loads", "AIM slowdown at maximum load"
CLIENTS = "workload.clients"
GRID = (1, 2, 3, 4, 6, 8, 10, 13, 16, 20, 25, 32, 40, 64)
QUICK_GRID = (1, 3, 8, 16, 64)
FULL_SCALE = 140.0            # Figure 9's y axis: 0–140 jobs per minute
CLASSES = ("read", "write", "stat", "fork", "pipe", "compute")


def curve(pub: pd.DataFrame, system: str) -> pd.Series:
    """Figure 9's digitised points of ``system``: jobs per minute by AIM load."""
    part = pub[(pub["quantity"] == CURVE) & (pub["system"] == system)]
    return pd.Series(part["value"].astype(float).to_numpy(),
                     index=part["x"].astype(float).to_numpy()).sort_index()


def settings(ctx: runs.Context, cal: Calibration, systems: int, grid: tuple[int, ...]) -> dict:
    """Overrides: the first ``systems`` calibrated structures × the user grid."""
    zip_ = {k: v[:systems] for k, v in cal.zip().items()}
    values = {"system.ipc.copy_cost_per_byte": 0.0,
              "system.address_space.cache_refill": round(cal.refill, 6),
              "sweep": {CLIENTS: list(grid), "zip": zip_}}
    values.update({f"workload.classes.{c}.working_set": FOOTPRINT for c in CLASSES})
    if ctx.quick:
        values.update({"experiment.replications": 2, "experiment.duration": "150ms"})
    return values


def run(ctx: runs.Context, cal: Calibration) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Native and L4Linux over the grid; the four systems at the grid's top loads."""
    grid = QUICK_GRID if ctx.quick else GRID
    curves_set = settings(ctx, cal, 2, grid)
    top_set = settings(ctx, cal, 4, grid[-2:])
    frames = []
    for sub, values in ((NAME, curves_set), (f"{NAME}_max", top_set)):
        df = runs.run_file(ctx, NAME, values, sub)
        frames.append(df.assign(structure=[
            cal.system_of(a, t, i) for a, t, i in
            zip(df["system.architecture"], df["system.trap"], df["system.ipc.latency"])]))
    return frames[0], frames[1], {NAME: runs.overrides(curves_set), f"{NAME}_max": runs.overrides(top_set)}


def per_replication(df: pd.DataFrame, system: str) -> pd.DataFrame:
    """Throughput by user count (rows) and replication (columns)."""
    part = df[df["structure"] == system]
    return part.pivot_table(index=CLIENTS, columns="replication", values="throughput",
                            aggfunc="mean").sort_index()


def load_map(native: pd.DataFrame, share: np.ndarray) -> np.ndarray:
    """Model user counts at which the model's native share of its maximum is ``share``."""
    mean = native.mean(axis=1)
    rel = np.maximum.accumulate((mean / mean.max()).to_numpy())
    return np.interp(share, rel, mean.index.to_numpy(float))


def predicted(pub: pd.DataFrame, df: pd.DataFrame) -> tuple[pd.Series, np.ndarray]:
    """At each L4Linux load of Figure 9: the native level, and the model's L4Linux / native
    ratio per replication (rows: loads, columns: replications)."""
    native_pub, l4_pub = curve(pub, NATIVE), curve(pub, L4)
    loads = l4_pub.index.to_numpy()
    level = np.interp(loads, native_pub.index, native_pub.to_numpy())
    users = load_map(per_replication(df, NATIVE), level / native_pub.max())
    nat, l4 = per_replication(df, NATIVE), per_replication(df, L4)
    grid = nat.index.to_numpy(float)
    ratio = np.array([[np.interp(u, grid, (l4[r] / nat[r]).to_numpy()) for r in nat.columns]
                      for u in users])
    return pd.Series(level, index=loads), ratio


def rows(pub: pd.DataFrame, curve_df: pd.DataFrame, top: pd.DataFrame) -> list[Row]:
    """Native curve (calibration), L4Linux curve and figures (predictions), MkLinux maxima."""
    level, ratio = predicted(pub, curve_df)
    native_pub, l4_pub = curve(pub, NATIVE), curve(pub, L4)
    out = [compare.exact(CURVE, NATIVE, "calibration", "jobs/min", v, v, "F",
                         note=f"load {x:g}: the level and the load scale", scale=FULL_SCALE)
           for x, v in native_pub.items()]
    pred = level.to_numpy()[:, None] * ratio            # loads × replications
    for (x, figure), values in zip(l4_pub.items(), pred):
        out.append(compare.measured(CURVE, L4, "prediction", "jobs/min", values, figure,
                                    "F", f"load {x:g}", FULL_SCALE))
    slow = 100 * (1 / ratio - 1)
    best_native = native_pub.max()
    notes = {SLOW_AVG: "native / L4Linux − 1, averaged over Figure 9's L4Linux loads",
             SLOW_MAX: f"at load {l4_pub.index[-1]:g}, the curve's largest",
             MAX: "the best of the predicted L4Linux points",
             BELOW: f"against the native curve's maximum {best_native:g}"}
    model = {SLOW_AVG: slow.mean(axis=0), SLOW_MAX: slow[-1], MAX: pred.max(axis=0),
             BELOW: 100 * (1 - pred.max(axis=0) / best_native)}
    out += [compare.measured(q, L4, "prediction", "jobs/min" if q == MAX else "%", model[q],
                             published.value(pub, q, L4), published.tag(pub, q, L4), notes[q])
            for q in (SLOW_AVG, SLOW_MAX, MAX, BELOW)]
    for system in (MK_IN, MK_USER):
        share = (per_replication(top, system).max() / per_replication(top, NATIVE).max())
        out.append(compare.measured(MAX, system, "model-only", "jobs/min",
                                    best_native * share.to_numpy(),
                                    note="native maximum × the model's ratio at the top load"))
        out.append(compare.measured(BELOW, system, "model-only", "%",
                                    100 * (1 - share.to_numpy()),
                                    note="the reference notes hold the MkLinux curves back"))
    return out


def curves(pub: pd.DataFrame, curve_df: pd.DataFrame, top: pd.DataFrame) -> pd.DataFrame:
    """The model's throughput by user count and system, and the predicted L4Linux curve."""
    mklinux = top[top["structure"].isin((MK_IN, MK_USER))]   # native and L4Linux: in curve_df
    model = (pd.concat([curve_df, mklinux]).groupby(["structure", CLIENTS], sort=False)["throughput"]
             .agg(["mean", "std", "count"]).reset_index()
             .assign(what="aim model", metric="requests/s"))
    level, ratio = predicted(pub, curve_df)
    pred = level.to_numpy()[:, None] * ratio
    l4 = pd.DataFrame({"structure": L4, "load": level.index, "mean": pred.mean(axis=1),
                       "std": pred.std(axis=1, ddof=1), "count": pred.shape[1],
                       "what": "aim prediction", "metric": "jobs/min"})
    return pd.concat([model, l4], ignore_index=True)
