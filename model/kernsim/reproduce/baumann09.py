"""Baumann et al. 2009 (the Multikernel): updating a shared line, shared memory vs messages.

Time unit: one simulated µs stands for one cycle. Shared memory: a ticket
lock over the update (s from the 1-core figure, c from the 16-core figure);
messages: the multikernel owner, reached by URPC (450 cycles one way).
The message cost curve and the crossover core count are not in
data/published: model-only. The 1-core shared cost is an input (it sets s),
shown reproduced (one core alone pays no hand-off).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kernsim.reproduce import calibrate, compare, published, runs
from kernsim.reproduce.compare import Row
from kernsim.reproduce.study import Result, scope_text

NAME = "baumann09"
ONE = ("shared-memory update cost", "1 core")
EXTRA = ("shared-memory extra cost per update", "16 cores")
URPC = ("URPC one-way latency", "Barrelfish URPC")
CROSS = ("crossover core count", "messages vs shared memory")
MSG16 = ("message-passing cost per update", "16 cores")
SHARED, MESSAGES = "shared memory", "messages (URPC)"
STRUCTURES = {"monolithic": SHARED, "multikernel": MESSAGES}
CORES, ARCH = "system.cores", "system.architecture"
UPDATES = 4000                 # run length: updates at the largest core count, shared memory
WARMUP_SHARE = 0.01
QUICK_CORES = (1, 4, 8, 12, 16)
QUICK_UPDATES = 1500
QUICK_REPLICATIONS = 2
TOLERANCE_CHANGES = [
    ("shared-memory update cost (1 core): ≤ bound +10% (a check) → none: the figure sets the "
     "update's work s, so it is a calibration input, shown reproduced and never judged"),
]


@dataclass(frozen=True)
class Calibration:
    section: float             # s: the update's own work, cycles (1-core figure)
    c: float                   # per-transfer cost, cycles (16-core figure)
    message: float             # URPC one way, cycles
    cores: int                 # the core count of the 16-core figure

    def shared(self, n) -> np.ndarray:
        """Closed form, every core queued: n (s + c·n/2) from two cores, s alone."""
        return calibrate.ticket_update_cost(np.asarray(n, float), self.section, self.c)

    def messages(self, n) -> np.ndarray:
        """Closed form: one round trip alone; the owner (s + reply) the bottleneck beyond."""
        n = np.asarray(n, float)
        return np.maximum(2 * self.message + self.section, n * (self.section + self.message))

    def crossover(self) -> float:
        """n where n (s + c·n/2) = n (s + u): n = 2u / c."""
        return 2 * self.message / self.c


def calibration(pub: pd.DataFrame) -> Calibration:
    s = published.value(pub, *ONE)
    n = int(published.figure(pub, *EXTRA)["x"])
    c = calibrate.ticket_transfer_cost(published.value(pub, *EXTRA), n, s)
    return Calibration(s, c, published.value(pub, *URPC), n)


def settings(ctx: runs.Context, cal: Calibration) -> dict:
    updates = QUICK_UPDATES if ctx.quick else UPDATES
    duration = updates * float(cal.shared(cal.cores)) / cal.cores
    values = {"system.lock.c": cal.c, "system.ipc.latency": cal.message,
              "components.line.critical": {"dist": "exponential", "mean": cal.section},
              "experiment.duration": duration, "experiment.warmup": WARMUP_SHARE * duration}
    if ctx.quick:
        sweep = runs.base_sweep(ctx, NAME)
        sweep["zip"][0] = {CORES: list(QUICK_CORES), "workload.clients": list(QUICK_CORES)}
        values.update({"sweep": sweep, "experiment.replications": QUICK_REPLICATIONS})
    return values


def reproduce(ctx: runs.Context) -> Result:
    pub = published.load(NAME)
    cal = calibration(pub)
    values = settings(ctx, cal)
    df = runs.run_file(ctx, NAME, values, NAME)
    df = df.assign(structure=df[ARCH].map(STRUCTURES), cost=df["response_mean"])
    curves = curve_table(df, cal)
    rows = rows_for(pub, cal, df)
    return Result(NAME, "Baumann et al. 2009: shared memory vs messages", rows, curves,
                  figure(df, pub, cal), calibration_lines(cal), {NAME: runs.overrides(values)},
                  scope_text(ctx.experiment(NAME)), discussion(rows, cal),
                  tolerance_changes=TOLERANCE_CHANGES)


def wide(df: pd.DataFrame) -> pd.DataFrame:
    """Cost per update: one row per (replication, cores), a column per structure."""
    return df.pivot_table(index=["replication", CORES], columns="structure", values="cost")


def crossover(cores: np.ndarray, shared: np.ndarray, messages: np.ndarray) -> float:
    """Core count where messages become cheaper (linear interpolation); NaN if they never do."""
    gap = shared - messages
    after = np.nonzero(gap > 0)[0]
    if len(after) == 0 or after[0] == 0:
        return math.nan if len(after) == 0 else float(cores[0])
    i = after[0]
    return float(cores[i - 1] + (cores[i] - cores[i - 1]) * -gap[i - 1] / (gap[i] - gap[i - 1]))


def crossovers(df: pd.DataFrame) -> np.ndarray:
    out = []
    for _, part in wide(df).groupby(level="replication"):
        part = part.droplevel("replication").sort_index()
        out.append(crossover(part.index.to_numpy(float), part[SHARED].to_numpy(),
                             part[MESSAGES].to_numpy()))
    return np.array(out)


def at(df: pd.DataFrame, structure: str, n: int) -> np.ndarray:
    part = df[(df["structure"] == structure) & (df[CORES] == n)].sort_values("replication")
    return part["cost"].to_numpy(float)


def rows_for(pub: pd.DataFrame, cal: Calibration, df: pd.DataFrame) -> list[Row]:
    n = cal.cores
    one, top = at(df, SHARED, 1), at(df, SHARED, n)
    rows = [compare.measured(*ONE, "calibration", "cycles", one, published.value(pub, *ONE), "S",
                             "sets s (the bound, under 30, taken as the update's work); one "
                             "core alone pays no hand-off"),
            compare.measured(*EXTRA, "calibration", "cycles", top - one, published.value(pub, *EXTRA),
                             "S", note="fixes c"),
            compare.exact(*URPC, "calibration", "cycles", cal.message, published.value(pub, *URPC),
                          "S", note="system.ipc.latency, one way"),
            compare.measured(*MSG16, "model-only", "cycles", at(df, MESSAGES, n),
                             published.value(pub, *MSG16),
                             note=f"closed form {float(cal.messages(n)):.0f}; not in data/published"),
            compare.measured(*CROSS, "model-only", "cores", crossovers(df),
                             published.value(pub, *CROSS),
                             note=f"closed form 2u/c = {cal.crossover():.2f}; not in data/published")]
    return rows


def curve_table(df: pd.DataFrame, cal: Calibration) -> pd.DataFrame:
    out = df.groupby(["structure", CORES])["cost"].agg(["mean", "std", "count"]).reset_index()
    closed = {SHARED: cal.shared, MESSAGES: cal.messages}
    out["closed_form"] = [float(closed[s](n)) for s, n in zip(out["structure"], out[CORES])]
    return out


def calibration_lines(cal: Calibration) -> list[str]:
    return [("time unit: one simulated µs stands for one cycle (the 16-core machine's clock is "
            "not in data/published)"),
            f"s = {cal.section:g} cycles: the 1-core figure (<30, S) as the update's own work",
            (f"c = 2 (E − (n − 1) s) / n² = {cal.c:.2f} cycles from the 16-core figure "
            f"(E = extra cycles per update, n = {cal.cores}; every core always queued, ticket "
            "hand-off c·k/2)"),
            (f"message: URPC one way u = {cal.message:g} cycles (S); the owner applies s and "
            "sends the reply")]


def discussion(rows: list[Row], cal: Calibration) -> list[str]:
    r = {(x.quantity, x.system): x for x in rows}
    return [
        (f"Messages win beyond ≈{r[CROSS].mean:.1f} cores (closed form 2u/c = "
        f"{cal.crossover():.1f}): shared memory grows as n² (each update waits for the line to "
        "pass every queued core, each hand-off slower with more waiters), messages as n (the "
        "owner serialises updates at a fixed cost)."),
        (f"At one core the model's shared update costs {r[ONE].mean:.0f} cycles against the "
        "published \"under 30\" it takes as the update's work s: the ticket hand-off is charged "
        "only when another core holds or waits for the line. The row is a calibration input, "
        "so it is shown, not judged."),
        ("No judged prediction: the paper's figures in data/published are four, and none is "
        "left to predict. Two fix the shared-memory model (the 1-core cost sets s, the 16-core "
        "extra cost c), one the message cost (URPC, 450 cycles); L4's 424-cycle IPC belongs to "
        "another system. The message-passing curve and the crossover are not published, so "
        "those rows are model-only. (The 1-core figure is a bound, tag-B material, but it could "
        "be judged only if s came from elsewhere; any s in 0..30 gives c within 4%.)"),
        ("What the model cannot express, and so does not predict: several cache lines per update "
        "(the paper's SHM2/4/8 curves: one line, one lock here), the coherence protocol itself "
        "(a transfer costs c whatever the distance between cores), URPC's pipelining of several "
        "outstanding messages (one request at a time per client), and the 8-core Intel "
        "machine."),
    ]


def figure(df: pd.DataFrame, pub: pd.DataFrame, cal: Calibration):
    """published_overlay: model cost per update vs cores, published shared-memory points."""
    from kernsim.analysis import plots

    points = pd.DataFrame({"quantity": "cost", "system": SHARED,
                           CORES: [1, cal.cores],
                           "value": [published.value(pub, *ONE),
                                     published.value(pub, *ONE) + published.value(pub, *EXTRA)]})
    model = df.assign(structure=pd.Categorical(df["structure"], list(STRUCTURES.values())))
    model.attrs["params"] = [CORES, "structure"]
    fig = plots.published_overlay(model, points, CORES, "cost", hue="structure")
    ax = fig.axes[0]
    n = np.linspace(1, cal.cores, 64)
    ax.plot(n, cal.shared(n), ":", color="0.4", label="closed forms")
    ax.plot(n, cal.messages(n), ":", color="0.4")
    ax.axvline(cal.crossover(), ls="--", color="0.7")
    ax.set(ylabel="cycles per update", xlabel="cores",
           title="cost per update of a shared line: shared memory vs messages")
    ax.legend(fontsize=8)
    return fig
