"""Boyd-Wickizer et al. 2012, Fig. 8: ticket vs MCS locks, speedup vs cores.

Time unit: one simulated µs stands for one cycle (the 48-core machine's clock
is not published here; speedups are unit-free). Calibration: s = 400 cycles
and the serial fractions f give a = s(1 − f)/f; c is fitted once, on the
Markov chain, to the measured 0.4% ticket peak. Predictions: the other
curves' peaks, every peak position, post-collapse points and 48-core values,
by the simulator, with the chain beside it; and the paper's own model curve
against our chain with the fitted c.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kernsim.reproduce import calibrate, compare, markov, published, runs
from kernsim.reproduce.compare import Row
from kernsim.reproduce.study import Result, scope_text

NAME = "boydwickizer12"
FIT_ON = "f = 0.4%"                 # the one curve c is fitted to
FRACTIONS = ("f = 3.2%", "f = 0.4%", "f = 0.2%")
KINDS = ("ticket", "mcs")
RUN_LOOPS = 600                      # run length: loops of one core (parallel work + section)
QUICK_LOOPS = 100
WARMUP_SHARE = 0.1                   # warm-up as a share of the run
QUICK_CORES = (1, 8, 16, 30, 42, 48)   # holds the published post-collapse points
QUICK_REPLICATIONS = 2
CORES, KIND, WORK = "system.cores", "system.lock.kind", "workload.classes.op.user.mean"
PEAK, PEAK_AT = "ticket peak speedup", "ticket peak cores"
AFTER, AT48 = "ticket speedup after collapse", "ticket speedup at 48 cores"
SECTION = ("serial section", "lock microbenchmark")
TOLERANCE_CHANGES = [
    ("paper model collapse cores (f = 0.4%, tag D): ±2.9 cores (±5% of full scale plus half "
     "the printed ≈29–30 range) → ±2.4 cores (tag D, ±5% of full scale): the printed range "
     "(±0.5) lies inside the reading's resolution and is not added to it"),
    ("the four paper-model rows were checks (judged, not counted) and are now predictions "
     "(judged and counted): the calibration uses none of them"),
    ("every tag-F row: ±2.4 (5% of the full scale 48) as before, now written once for the tag"),
]


@dataclass(frozen=True)
class Calibration:
    section: float                   # s, cycles
    work: dict[str, float]           # a per curve, cycles
    max_cores: int
    c: float                         # cache-line cost, cycles (hand-off c·k/2)
    target: float                    # the peak c is fitted to


def calibration(pub: pd.DataFrame) -> Calibration:
    s = published.value(pub, "serial section", "lock microbenchmark")
    work = {f: calibrate.parallel_work(s, published.value(pub, "serial fraction", f) / 100)
            for f in FRACTIONS}
    n = int(published.value(pub, "cores", "48-core AMD machine"))
    target = published.value(pub, PEAK, FIT_ON)
    return Calibration(s, work, n, markov.fit_c(target, work[FIT_ON], s, n, "ticket"), target)


def full_scale(pub: pd.DataFrame) -> float:
    """Fig. 8's full scale, taken as the core count: the x axis ends there and no speedup exceeds
    it (the speedup axis's range is not in data/published); tag F and D tolerances are 5% of it."""
    return published.value(pub, "cores", "48-core AMD machine")


def settings(ctx: runs.Context, cal: Calibration) -> dict:
    sweep = runs.base_sweep(ctx, NAME)
    loops = QUICK_LOOPS if ctx.quick else RUN_LOOPS
    cycle = [cal.work[f] + cal.section for f in FRACTIONS]
    sweep["zip"][1] = {WORK: [cal.work[f] for f in FRACTIONS],
                       "experiment.duration": [loops * t for t in cycle],
                       "experiment.warmup": [WARMUP_SHARE * loops * t for t in cycle]}
    if ctx.quick:
        sweep["zip"][0] = {CORES: list(QUICK_CORES), "workload.clients": list(QUICK_CORES)}
    values = {"system.lock.c": cal.c,
              "components.counter.critical": {"dist": "exponential", "mean": cal.section},
              "sweep": sweep}
    if ctx.quick:
        values["experiment.replications"] = QUICK_REPLICATIONS
    return values


def reproduce(ctx: runs.Context) -> Result:
    pub = published.load(NAME)
    cal = calibration(pub)
    values = settings(ctx, cal)
    df = runs.run_file(ctx, NAME, values, NAME)
    df = df.assign(speedup=df[CORES] * df["cpu.user"],
                   fraction=df[WORK].map({v: f for f, v in cal.work.items()}))
    curves = sim_curves(df).merge(chain_curves(cal, sorted(df[CORES].unique())),
                                  on=["fraction", KIND, CORES])
    rows = rows_for(pub, cal, df, curves)
    return Result(NAME, "Boyd-Wickizer et al. 2012, Fig. 8 (ticket vs MCS)", rows, curves,
                  figure(pub, cal, curves), calibration_lines(cal), {NAME: runs.overrides(values)},
                  scope_text(ctx.experiment(NAME)), discussion(rows, cal),
                  tolerance_changes=TOLERANCE_CHANGES)


def sim_curves(df: pd.DataFrame) -> pd.DataFrame:
    """Mean speedup and its 95% t-interval per curve and core count."""
    from kernsim.stats.intervals import t_interval

    rows = []
    for (f, kind, n), part in df.groupby(["fraction", KIND, CORES]):
        mean, lo, hi = t_interval(part["speedup"].to_numpy(float))
        rows.append({"fraction": f, KIND: kind, CORES: int(n), "sim": mean, "sim_lo": lo,
                     "sim_hi": hi, "replications": len(part)})
    return pd.DataFrame(rows)


def chain_curves(cal: Calibration, cores) -> pd.DataFrame:
    rows = [{"fraction": f, KIND: kind, CORES: int(n),
             "chain": markov.speedup(int(n), cal.work[f], cal.section, cal.c, kind)}
            for f in FRACTIONS for kind in KINDS for n in cores]
    return pd.DataFrame(rows)


def curve(curves: pd.DataFrame, f: str, kind: str = "ticket") -> pd.DataFrame:
    return curves[(curves["fraction"] == f) & (curves[KIND] == kind)].sort_values(CORES)


def dense_chain(cal: Calibration, f: str, kind: str = "ticket") -> tuple[np.ndarray, np.ndarray]:
    cores = np.arange(1, cal.max_cores + 1)
    return cores, markov.curve(cores, cal.work[f], cal.section, cal.c, kind)


def collapse(cores: np.ndarray, values: np.ndarray) -> float:
    """Midpoint of the steepest drop after the peak (core counts)."""
    i = int(np.argmax(values))
    if i >= len(values) - 1:
        return math.nan
    drops = np.diff(values[i:])
    j = i + int(np.argmin(drops))
    return (cores[j] + cores[j + 1]) / 2


def point(c: pd.DataFrame, n: int) -> pd.Series:
    return c[c[CORES] == n].iloc[0]


def sim_row(quantity: str, f: str, role: str, unit: str, rec: pd.Series, pub: pd.DataFrame,
            chain: float) -> Row:
    return Row(quantity, f, role, unit, published.value(pub, quantity, f), tag(pub, quantity, f),
               rec["sim"], rec["sim_lo"], rec["sim_hi"], f"chain: {chain:.3g}",
               full_scale(pub))


def tag(pub: pd.DataFrame, quantity: str, system: str) -> str:
    t = published.figure(pub, quantity, system)["tag"]
    return "" if pd.isna(t) else str(t)


def input_rows(pub: pd.DataFrame, cal: Calibration) -> list[Row]:
    """The published inputs as the model takes them: s, and f = s / (a + s) per curve."""
    rows = [compare.exact(*SECTION, "calibration", "cycles", cal.section,
                          published.value(pub, *SECTION), tag(pub, *SECTION),
                          note="the critical section's mean")]
    for f in FRACTIONS:
        rows.append(compare.exact("serial fraction", f, "calibration", "%",
                                  100 * cal.section / (cal.work[f] + cal.section),
                                  published.value(pub, "serial fraction", f),
                                  tag(pub, "serial fraction", f), note="sets the parallel work a"))
    return rows


def rows_for(pub: pd.DataFrame, cal: Calibration, df: pd.DataFrame,
             curves: pd.DataFrame) -> list[Row]:
    scale = full_scale(pub)
    rows = input_rows(pub, cal)
    for f in FRACTIONS:
        c = curve(curves, f)
        best = c.loc[c["sim"].idxmax()]
        n, h = markov.peak(*dense_chain(cal, f))
        role = "calibration" if f == FIT_ON else "prediction"
        rows.append(sim_row(PEAK, f, role, "speedup", best, pub, h))
        rows.append(compare.exact(PEAK_AT, f, "prediction", "cores", float(best[CORES]),
                                  published.value(pub, PEAK_AT, f), tag(pub, PEAK_AT, f),
                                  f"chain: {n}", scale))
    for f in FRACTIONS:
        x = published.figure(pub, AFTER, f)["x"]
        if not pd.isna(x) and int(x) in set(curves[CORES]):
            rec = point(curve(curves, f), int(x))
            rows.append(sim_row(AFTER, f, "prediction", "speedup", rec, pub, rec["chain"]))
    top = cal.max_cores
    if top in set(curves[CORES]):
        for f in FRACTIONS:
            rec = point(curve(curves, f), top)
            rows.append(sim_row(AT48, f, "prediction", "speedup", rec, pub, rec["chain"]))
    return rows + paper_model_rows(pub, cal) + mcs_rows(cal, curves)


def paper_model_rows(pub: pd.DataFrame, cal: Calibration) -> list[Row]:
    """Our chain (fitted c) beside the paper's own model curve: predictions (the fit used the
    measured 0.4% peak, none of these)."""
    out = []
    note = "our Markov chain with the fitted c vs the paper's model curve"
    for q, f, value in [("paper model peak speedup", "f = 3.2%", lambda c, v: v.max()),
                        ("paper model peak speedup", "f = 0.2%", lambda c, v: v.max()),
                        ("paper model final speedup", "f = 0.2%", lambda c, v: v[-1]),
                        ("paper model collapse cores", "f = 0.4%", collapse)]:
        cores, values = dense_chain(cal, f)
        out.append(compare.exact(q, f, "prediction", "cores" if "cores" in q else "speedup",
                                 float(value(cores, values)), published.value(pub, q, f),
                                 tag(pub, q, f), note, full_scale(pub)))
    return out


def mcs_rows(cal: Calibration, curves: pd.DataFrame) -> list[Row]:
    out = []
    for f in FRACTIONS:
        c = curve(curves, f, "mcs")
        last = c.iloc[-1]
        out.append(Row(f"MCS speedup at {int(last[CORES])} cores", f, "model-only", "speedup",
                       math.nan, "", last["sim"], last["sim_lo"], last["sim_hi"],
                       f"chain: {last['chain']:.3g}; no MCS curve in Fig. 8"))
    return out


def calibration_lines(cal: Calibration) -> list[str]:
    works = ", ".join(f"{f}: a = {a:g}" for f, a in cal.work.items())
    return [("time unit: one simulated µs stands for one cycle (no clock is published for the "
            "48-core machine; speedups are unit-free)"),
            f"serial section s = {cal.section:g} cycles (F); a = s(1 − f)/f: {works} cycles",
            (f"c = {cal.c:.2f} cycles (hand-off c·k/2; the paper's ∏(s + i·c) form would read "
            f"c = {cal.c / 2:.2f}), fitted by bisection on the chain so that its ticket peak over "
            f"1..{cal.max_cores} cores is {cal.target:g} ({FIT_ON}, measured, F)"),
            ("speedup in the simulator: cores × cpu.user (the cores doing parallel work); in the "
            "chain: n − E[k]")]


def discussion(rows: list[Row], cal: Calibration) -> list[str]:
    r = {(x.quantity, x.system): x for x in rows}
    return [
        ("The ticket lock collapses and MCS does not, with one c for both: the collapse comes from "
        "the hand-off growing with the waiters (c·k/2), not from the calibration."),
        (f"3.2%: the model peaks at {r[PEAK, 'f = 3.2%'].mean:.1f} against "
         f"≈{r[PEAK, 'f = 3.2%'].published:g} measured — the paper's own Markov model also peaks "
         f"lower (≈{r['paper model peak speedup', 'f = 3.2%'].published:g}); likely because "
         "exponential work queues earlier than the real, nearly deterministic loop."),
        (f"The model's collapse is as abrupt as the measured one but comes later: with c fitted "
         f"to the 0.4% peak height the ticket curve peaks at {r[PEAK_AT, 'f = 0.4%'].mean:g} "
         f"cores and still reaches {r[AFTER, 'f = 0.4%'].mean:.1f} at 30, where the measured "
         f"curve has already fallen to ≈{r[AFTER, 'f = 0.4%'].published:g}; the 0.2% curve only "
         f"starts to fall near 48 cores ({r[AT48, 'f = 0.2%'].mean:.1f} vs "
         f"≈{r[AT48, 'f = 0.2%'].published:g}). Near the cliff the simulator is bistable (long "
         "excursions between a fast and a collapsed mode), so its intervals widen there."),
        (f"c = {cal.c:.0f} cycles fits one measured peak; the paper's model curves peak lower "
         "(3.2%) and end lower (0.2%) than the chain with this c, so the paper's model uses a "
         "larger effective c or another hand-off form than the one fitted here."),
    ]


def figure(pub: pd.DataFrame, cal: Calibration, curves: pd.DataFrame):
    """One panel per serial fraction: simulator (CI band), chain (dotted), published points."""
    import seaborn as sns
    from matplotlib.figure import Figure

    from kernsim.analysis import figure

    with figure.theme():
        fig = Figure(figsize=(13, 4))
        axes = fig.subplots(1, len(FRACTIONS), sharey=True)
        colors = dict(zip(KINDS, sns.color_palette(figure.PALETTE, len(KINDS) + 1)))
        for ax, f in zip(axes, FRACTIONS):
            for kind in KINDS:
                c = curve(curves, f, kind)
                ax.plot(c[CORES], c["sim"], "o-", ms=3, color=colors[kind], label=f"{kind} (model)")
                ax.fill_between(c[CORES], c["sim_lo"], c["sim_hi"], color=colors[kind], alpha=0.2,
                                lw=0)
                ax.plot(*dense_chain(cal, f, kind), ":", color=colors[kind],
                        label=f"{kind} (Markov chain)")
            measured = pub[(pub["system"] == f) & pub["quantity"].isin([PEAK, AFTER, AT48])
                           & pub["x"].notna()]
            ax.plot(measured["x"], measured["value"], "s", mfc="white", color="k", ms=8,
                    label="ticket (published, F)")
            ax.set(title=f"serial fraction {f[4:]}", xlabel="cores")
        axes[0].set_ylabel("speedup")
        axes[0].legend(fontsize=8)
    return fig
