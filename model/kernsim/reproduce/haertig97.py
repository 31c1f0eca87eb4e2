"""Härtig et al. 1997: L4Linux vs native Linux vs MkLinux.

Calibrate the trap and per-IPC costs from the getpid rows (cycles at the
133 MHz clock), run the AIM-like mix on native (monolithic) and the three
Linux-on-a-microkernel structures (hybrid), predict the max-throughput
penalties; re-run the getpid microbenchmark: the absolute getpid costs
agree with the S figures by construction (identity rows, not judged).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kernsim.reproduce import calibrate, compare, published, runs
from kernsim.reproduce.compare import Row
from kernsim.reproduce.study import Result, scope_text

NAME = "haertig97"
GETPID = "haertig97_getpid"
NATIVE, L4, MK_IN, MK_USER = "native Linux", "L4Linux", "MkLinux in-kernel", "MkLinux user-level"
SYSTEMS = (NATIVE, L4, MK_IN, MK_USER)
MESSAGES = 2                 # getpid on Linux-as-a-server: an IPC call and its reply
PENALTY = "AIM max throughput below native"
CLOCK = ("cpu clock", "all systems (Pentium PC)")
TOLERANCE_CHANGES = [
    ("AIM max throughput below native (L4Linux): ±2.5 percentage points (half the published "
     "penalty, a margin for the uncalibrated system-call density) → ±10% of 5% = ±0.5 points "
     "(tag P): a tolerance now states how precisely the paper gives the figure, not how far "
     "the model may be off; the mix's uncalibrated assumptions are reasons for a miss, to be "
     "explained, not widened into the tolerance"),
    ("getpid latency (L4Linux, both MkLinux): ±20% (tag U) → none: the model's getpid costs "
     "are built from the S figures they were compared with (identity, not judged)"),
]


@dataclass(frozen=True)
class Calibration:
    mhz: float
    getpid: dict[str, float]       # cycles per system, from the S ratios on the native base

    def trap_us(self) -> float:
        return calibrate.cycles_to_us(self.getpid[NATIVE], self.mhz)

    def ipc_us(self, system: str) -> float:
        if system == NATIVE:        # unused by a monolithic kernel; L4's keeps the zip aligned
            system = L4
        cycles = calibrate.per_message(self.getpid[system], self.getpid[NATIVE], MESSAGES)
        return calibrate.cycles_to_us(cycles, self.mhz)

    def zip(self) -> dict:
        return {"system.architecture": ["monolithic"] + ["hybrid"] * (len(SYSTEMS) - 1),
                "system.ipc.latency": [round(self.ipc_us(s), 6) for s in SYSTEMS]}


def calibration(pub: pd.DataFrame) -> Calibration:
    """Clock (S), native getpid (U: the only absolute native figure), S ratios for the rest."""
    native = published.value(pub, "getpid latency", NATIVE)
    l4 = native + published.value(pub, "getpid extra over native", L4)
    ratio = "getpid ratio to L4Linux"
    cycles = {NATIVE: native, L4: l4, MK_IN: l4 * published.value(pub, ratio, MK_IN),
              MK_USER: l4 * published.value(pub, ratio, MK_USER)}
    return Calibration(published.value(pub, "cpu clock", "all systems (Pentium PC)"), cycles)


def settings(ctx: runs.Context, cal: Calibration, name: str) -> dict:
    """Overrides: the calibrated trap and IPC costs; in quick mode fewer runs, the first load."""
    sweep = runs.base_sweep(ctx, name)
    sweep["zip"] = cal.zip()
    values = {"system.trap": round(cal.trap_us(), 6), "sweep": sweep}
    if ctx.quick and name == NAME:
        sweep["workload.clients"] = sweep["workload.clients"][:1]
        values.update({"experiment.replications": 3, "experiment.duration": "150ms"})
    elif ctx.quick:
        values["experiment.duration"] = "0.5ms"
    return values


def reproduce(ctx: runs.Context) -> Result:
    pub = published.load(NAME)
    cal = calibration(pub)
    aim_set, getpid_set = settings(ctx, cal, NAME), settings(ctx, cal, GETPID)
    aim = label(runs.run_file(ctx, NAME, aim_set, NAME), cal)
    getpid = label(runs.run_file(ctx, GETPID, getpid_set, GETPID), cal)
    rows = getpid_rows(pub, cal, getpid) + aim_rows(pub, aim)
    curves = pd.concat([summary(aim, "throughput", "aim"),
                        summary(getpid.assign(cycles=getpid["response_mean"] * cal.mhz),
                                "cycles", "getpid")])
    return Result(NAME, "Härtig et al. 1997 (L4Linux)", rows, curves, figure(rows, pub),
                  calibration_lines(cal),
                  {NAME: runs.overrides(aim_set), GETPID: runs.overrides(getpid_set)},
                  scope_text(ctx.experiment(NAME)), discussion(rows),
                  tolerance_changes=TOLERANCE_CHANGES)


def label(df: pd.DataFrame, cal: Calibration) -> pd.DataFrame:
    """A ``structure`` column naming the system of each design point."""
    names = {(arch, lat): s for s, arch, lat in zip(SYSTEMS, *cal.zip().values())
             if s != NATIVE}
    structure = [NATIVE if arch == "monolithic" else names[arch, lat] for arch, lat in
                 zip(df["system.architecture"], df["system.ipc.latency"])]
    return df.assign(structure=structure)


def max_throughput(aim: pd.DataFrame) -> pd.DataFrame:
    """Per system and replication, the best throughput over the user loads."""
    return aim.pivot_table(index="replication", columns="structure", values="throughput",
                           aggfunc="max")


def aim_rows(pub: pd.DataFrame, aim: pd.DataFrame) -> list[Row]:
    best = max_throughput(aim)
    rows = []
    for system in SYSTEMS[1:]:
        penalty = 100 * (1 - best[system] / best[NATIVE])
        value = published.value(pub, PENALTY, system)
        role = "model-only" if np.isnan(value) else "prediction"
        rows.append(compare.measured(PENALTY, system, role, "%", penalty, value,
                                     tag(pub, PENALTY, system),
                                     missing_note(pub, PENALTY, system)))
    return rows


def getpid_rows(pub: pd.DataFrame, cal: Calibration, getpid: pd.DataFrame) -> list[Row]:
    cycles = {s: getpid.loc[getpid["structure"] == s, "response_mean"].to_numpy() * cal.mhz
              for s in SYSTEMS}
    rows = [compare.exact(*CLOCK, "calibration", "MHz", cal.mhz, published.value(pub, *CLOCK),
                          tag(pub, *CLOCK), note="converts cycles to µs"),
            compare.measured("getpid latency", NATIVE, "calibration", "cycles", cycles[NATIVE],
                             published.value(pub, "getpid latency", NATIVE), "U",
                             note="sets the trap cost"),
            compare.measured("getpid extra over native", L4, "calibration", "cycles",
                             cycles[L4] - cycles[NATIVE],
                             published.value(pub, "getpid extra over native", L4), "S",
                             note="sets the L4 IPC cost")]
    for system in (MK_IN, MK_USER):
        rows.append(compare.measured("getpid ratio to L4Linux", system, "calibration", "×",
                                     cycles[system] / cycles[L4],
                                     published.value(pub, "getpid ratio to L4Linux", system), "S",
                                     note="sets the IPC cost"))
    for system in (L4, MK_IN, MK_USER):
        rows.append(compare.measured(
            "getpid latency", system, "identity", "cycles", cycles[system],
            published.value(pub, "getpid latency", system), "U",
            note="built from the S figures that calibrate: agrees by construction"))
    return rows


def tag(pub: pd.DataFrame, quantity: str, system: str) -> str:
    t = published.figure(pub, quantity, system)["tag"]
    return "" if pd.isna(t) else str(t)


def missing_note(pub: pd.DataFrame, quantity: str, system: str) -> str:
    if np.isnan(published.value(pub, quantity, system)):
        return "published value missing (data/published has none): model-only"
    return ""


def summary(df: pd.DataFrame, metric: str, what: str) -> pd.DataFrame:
    keys = ["structure"] + (["workload.clients"] if "workload.clients" in df else [])
    out = df.groupby(keys, sort=False)[metric].agg(["mean", "std", "count"]).reset_index()
    return out.assign(what=what, metric=metric)


def calibration_lines(cal: Calibration) -> list[str]:
    lines = [(f"clock {cal.mhz:g} MHz (S); native getpid {cal.getpid[NATIVE]:g} cycles (U) = "
             f"system.trap {cal.trap_us():.4f} µs (the trap holds the whole native getpid)")]
    for s in SYSTEMS[1:]:
        lines.append(f"{s}: getpid {cal.getpid[s]:.1f} cycles (from the S figures) → one IPC "
                     f"= ({cal.getpid[s]:.1f} − {cal.getpid[NATIVE]:g}) / {MESSAGES} cycles = "
                     f"{cal.ipc_us(s):.4f} µs")
    return lines


def discussion(rows: list[Row]) -> list[str]:
    pen = {r.system: r for r in rows if r.quantity == PENALTY}
    return [
        (f"L4Linux: the model's penalty is {pen[L4].mean:.2f}% against the published "
         f"{pen[L4].published:g}% ({pen[L4].tag}). "
        "The model charges only the two IPCs' cycles per system call; the paper's penalty also "
        "holds cache and TLB misses after address-space switches, which the model leaves out, "
        "so a model figure below the published one is the expected direction."),
        (f"MkLinux: {pen[MK_IN].mean:.1f}% (in-kernel) and {pen[MK_USER].mean:.1f}% (user-level) "
        "below native: the ordering L4Linux ≪ MkLinux in-kernel < user-level follows from the "
        "getpid costs; the paper's values are not in data/published, so these rows are "
        "model-only (not judged)."),
        ("The getpid identity rows compare the U-tagged absolute values with costs derived from "
        "the S ratios: they agree by construction, which shows that the two sources are "
        "consistent, nothing more; they are not counted as predictions."),
    ]


def figure(rows: list[Row], pub: pd.DataFrame):
    """Left: getpid cycles, published vs model; right: AIM penalty vs native, model with CI."""
    import seaborn as sns
    from matplotlib.figure import Figure

    from kernsim.analysis import figure

    with figure.theme():
        fig = Figure(figsize=(10, 4))
        left, right = fig.subplots(1, 2)
        colors = sns.color_palette(figure.PALETTE, 2)
        lat = {r.system: r for r in rows if r.quantity == "getpid latency"}
        xs = np.arange(len(SYSTEMS))
        left.bar(xs - 0.2, [published.value(pub, "getpid latency", s) for s in SYSTEMS], 0.4,
                 color=colors[0], label="published (U)")
        left.bar(xs + 0.2, [lat[s].mean for s in SYSTEMS], 0.4, color=colors[1], label="model")
        left.set(xticks=xs, yscale="log", ylabel="getpid (cycles)", title="getpid: published vs model")
        left.set_xticklabels(SYSTEMS, rotation=20, ha="right")
        left.legend()
        pen = [r for r in rows if r.quantity == PENALTY]
        xs = np.arange(len(pen))
        means = np.array([r.mean for r in pen])
        err = np.array([[r.mean - r.lo for r in pen], [r.hi - r.mean for r in pen]])
        right.bar(xs, means, 0.5, yerr=err, color=colors[1], label="model (95% CI)")
        pubs = [r.published for r in pen]
        right.plot(xs, pubs, "s", mfc="white", color=colors[0], ms=9, label="published (P)")
        right.set(xticks=xs, ylabel="max throughput below native (%)",
                  title="AIM-like mix: penalty vs native")
        right.set_xticklabels([r.system for r in pen], rotation=20, ha="right")
        right.legend()
    return fig
