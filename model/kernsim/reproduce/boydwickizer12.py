"""Boyd-Wickizer et al. 2012, Fig. 8: ticket vs MCS locks, speedup vs cores.

Time unit: one simulated µs stands for one cycle (the 48-core machine's clock
is not published here; speedups are unit-free). The simulator runs the
benchmark's loop as it is, fixed cycles (constant a and s), every core starting
at time 0; the chain keeps the paper's exponential times. Calibration: s = 400
cycles and the serial fractions f give a = s(1 − f)/f; c is fitted once, on the
Markov chain, to the measured 0.4% ticket peak. Hand-off: h(k) = c·k/2 with
k ≥ 2 cores holding or waiting, none for the holder alone. Predictions: the
other curves' peaks, every peak position, post-collapse points and 48-core
values, by the simulator, with the chain beside it; and the paper's own model
curve against our chain with the fitted c.

Core grid: in full mode every core count around each ticket curve's peak and
collapse (``window``), a coarse grid elsewhere and for MCS. A fixed loop gives
identical replications; with jitter (not modelled) a run near the collapse
could settle in a fast or a collapsed mode, so each point's replications are
still split by ``kernsim.stats.modes``, and a bimodal point would report both
modes with their shares and take the main mode's value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kernsim.reproduce import calibrate, compare, markov, published, runs
from kernsim.reproduce.compare import Row
from kernsim.reproduce.study import Result, scope_text
from kernsim.stats import modes

NAME = "boydwickizer12"
FIT_ON = "f = 0.4%"                 # the one curve c is fitted to
FRACTIONS = ("f = 3.2%", "f = 0.4%", "f = 0.2%")
KINDS = ("ticket", "mcs")
RUN_LOOPS = 600                      # run length: loops of one core (parallel work + section)
QUICK_LOOPS = 100
WARMUP_SHARE = 0.1                   # warm-up as a share of the run
QUICK_CORES = (1, 8, 9, 16, 29, 30, 41, 42, 48)   # the published peaks and post-collapse points
QUICK_REPLICATIONS = 3                 # odd: two modes cannot tie
BASE_CORES = (1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48)   # ticket, away from the cliff
MCS_CORES = (1, 4, 8, 16, 24, 32, 40, 48)                           # MCS: no peak, no cliff
BEFORE, AFTER_CLIFF = 4, 6            # window: cores before the peak, after the collapse
CORES, KIND, WORK = "system.cores", "system.lock.kind", "workload.classes.op.user"
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
    ("tags F and D: ±5% of full scale → ±5% of full scale and at most ±50% of the value "
     "(tolerances.py, once per tag); it changes one row here, the 3.2% curve's ≈1 at 48 cores: "
     "±2.4 (anything from 0 to 3.4) → ±0.5. Why: a reading written '≈1' states the value to "
     "half a unit of its one digit, ±50%; decided from how the readings are written, not "
     "from this row's model value (about 0.5–0.6, seen under the old rule)"),
]
FIXED_LOOP_CHANGE = ("the simulator's loop as fixed cycles (commit f19483c): made after the run "
                     "with exponential times had missed 8 of 14 rows; the study had named the "
                     "nearly deterministic loop as not expressed before that run")


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


def window(pub: pd.DataFrame, cal: Calibration, f: str) -> range:
    """Every core count from ``BEFORE`` below the earlier of the published and the chain's
    ticket peak to ``AFTER_CLIFF`` past the later of the chain's collapse and the published
    post-collapse point: chosen before any run, from the paper and the calibrated chain."""
    cores, values = dense_chain(cal, f)
    n_peak, _ = markov.peak(cores, values)
    lo = min(published.value(pub, PEAK_AT, f), n_peak) - BEFORE
    after = published.figure(pub, AFTER, f)["x"]
    hi = max(collapse(cores, values), 0 if pd.isna(after) else float(after)) + AFTER_CLIFF
    return range(max(1, int(lo)), min(cal.max_cores, int(hi)) + 1)


def grid(ctx: runs.Context, pub: pd.DataFrame, cal: Calibration) -> list[tuple[str, str, int]]:
    """(fraction, kind, cores) to run: quick, ``QUICK_CORES`` for every curve; full, the ticket
    curves dense in their window and coarse elsewhere, MCS coarse."""
    if ctx.quick:
        return [(f, k, n) for f in FRACTIONS for k in KINDS for n in QUICK_CORES]
    out = []
    for f in FRACTIONS:
        out += [(f, "ticket", n) for n in sorted(set(BASE_CORES) | set(window(pub, cal, f)))]
        out += [(f, "mcs", n) for n in MCS_CORES]
    return out


def settings(ctx: runs.Context, cal: Calibration, points: list[tuple[str, str, int]]) -> dict:
    """One zipped sweep over ``points``; each run lasts ``loops`` loops of one core."""
    loops = QUICK_LOOPS if ctx.quick else RUN_LOOPS
    cycle = {f: cal.work[f] + cal.section for f in FRACTIONS}
    cores = [n for _, _, n in points]
    sweep = {"zip": [{CORES: cores, "workload.clients": cores, KIND: [k for _, k, _ in points],
                      WORK: [cal.work[f] for f, _, _ in points],
                      "experiment.duration": [loops * cycle[f] for f, _, _ in points],
                      "experiment.warmup": [WARMUP_SHARE * loops * cycle[f]
                                            for f, _, _ in points]}]}
    values = {"system.lock.c": cal.c,
              "components.counter.critical": cal.section,
              "sweep": sweep}
    if ctx.quick:
        values["experiment.replications"] = QUICK_REPLICATIONS
    return values


def reproduce(ctx: runs.Context) -> Result:
    pub = published.load(NAME)
    cal = calibration(pub)
    values = settings(ctx, cal, grid(ctx, pub, cal))
    df = runs.run_file(ctx, NAME, values, NAME)
    df = df.assign(speedup=df[CORES] * df["cpu.user"],
                   fraction=df[WORK].map({v: f for f, v in cal.work.items()}))
    curves = sim_curves(df).merge(chain_curves(cal, sorted(df[CORES].unique())),
                                  on=["fraction", KIND, CORES])
    rows = compare.post_hoc(rows_for(pub, cal, df, curves), FIXED_LOOP_CHANGE,
                            lambda r: r.quantity in (PEAK, PEAK_AT, AFTER, AT48))
    return Result(NAME, "Boyd-Wickizer et al. 2012, Fig. 8 (ticket vs MCS)", rows, curves,
                  figure(pub, cal, curves), calibration_lines(cal), {NAME: runs.overrides(values)},
                  scope_text(ctx.experiment(NAME)), discussion(rows, cal, curves),
                  tolerance_changes=TOLERANCE_CHANGES)


def sim_curves(df: pd.DataFrame) -> pd.DataFrame:
    """Per curve and core count: the main mode's mean and 95% t-interval (``sim``), the mean
    over all replications, and, at a bimodal point, each mode with its share."""
    rows = []
    for (f, kind, n), part in df.groupby(["fraction", KIND, CORES]):
        values = part["speedup"].to_numpy(float)
        split = modes.split(values)
        main, low, high = split.main, split.modes[0], split.modes[-1]
        rows.append({"fraction": f, KIND: kind, CORES: int(n), "sim": main.mean,
                     "sim_lo": main.lo, "sim_hi": main.hi, "sim_all": float(values.mean()),
                     "replications": len(part), "bimodal": split.bimodal,
                     "low_mode": low.mean if split.bimodal else math.nan,
                     "low_share": low.share if split.bimodal else math.nan,
                     "high_mode": high.mean if split.bimodal else math.nan,
                     "high_share": high.share if split.bimodal else math.nan,
                     "modes": split.describe()})
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
    note = f"chain: {chain:.3g}"
    if rec["bimodal"]:
        note += f"; bimodal, modes (replications): {rec['modes']}; the value is the main mode's"
    return Row(quantity, f, role, unit, published.value(pub, quantity, f), published.tag(pub, quantity, f),
               rec["sim"], rec["sim_lo"], rec["sim_hi"], note, full_scale(pub))


def input_rows(pub: pd.DataFrame, cal: Calibration) -> list[Row]:
    """The published inputs as the model takes them: s, and f = s / (a + s) per curve."""
    rows = [compare.exact(*SECTION, "calibration", "cycles", cal.section,
                          published.value(pub, *SECTION), published.tag(pub, *SECTION),
                          note="the critical section's mean")]
    for f in FRACTIONS:
        rows.append(compare.exact("serial fraction", f, "calibration", "%",
                                  100 * cal.section / (cal.work[f] + cal.section),
                                  published.value(pub, "serial fraction", f),
                                  published.tag(pub, "serial fraction", f), note="sets the parallel work a"))
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
                                  published.value(pub, PEAK_AT, f), published.tag(pub, PEAK_AT, f),
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
                                 published.tag(pub, q, f), note, full_scale(pub)))
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
            (f"c = {cal.c:.2f} cycles, fitted by bisection on the chain so that its ticket peak "
            f"over 1..{cal.max_cores} cores is {cal.target:g} ({FIT_ON}, measured, F)"),
            ("hand-off form: h(k) = c·k/2 with k ≥ 2 cores holding or waiting, h(1) = 0 (the "
            "holder alone: no other core wants the line); the reading reports' chain charges c/2 "
            "in state 1 as well, and the paper's printed ∏(s + i·c) is that chain with c halved "
            f"(c = {cal.c / 2:.2f} in its form); MCS: a constant c"),
            (f"core grid: every core count from "
            f"{BEFORE} below the ticket peak (published or chain, the earlier) to {AFTER_CLIFF} "
            "past the collapse (chain, or the published post-collapse point, the later), a "
            f"coarse grid {BASE_CORES} elsewhere, MCS at {MCS_CORES} (full mode); quick mode: "
            f"{QUICK_CORES} for every curve, {QUICK_REPLICATIONS} replications"),
            ("bimodal points (kernsim.stats.modes): the replications sorted and cut where the "
            "gap is largest against the tighter cluster's SD; two modes when that ratio exceeds "
            f"the {modes.LEVEL:.0%} quantile one normal mode of as many replications reaches and "
            f"the gap is ≥ {modes.RELATIVE:.0%} of the larger mode; a bimodal point reports each "
            "mode with its share, and its single value (peaks, judged rows, the drawn curve) is "
            "the main mode's (most replications; on a tie the lower)"),
            ("speedup in the simulator: cores × cpu.user (the cores doing parallel work); in the "
            "chain: n − E[k]")]


def bimodal_lines(curves: pd.DataFrame) -> list[str]:
    """One line per curve with bimodal points: core count, each mode (replications)."""
    out = []
    for (f, kind), part in curves[curves["bimodal"]].groupby(["fraction", KIND]):
        points = "; ".join(f"{int(r[CORES])} cores: {r['modes']}"
                           for _, r in part.sort_values(CORES).iterrows())
        out.append(f"{kind}, {f}: {points}")
    return out


def discussion(rows: list[Row], cal: Calibration, curves: pd.DataFrame) -> list[str]:
    r = {(x.quantity, x.system): x for x in rows}
    two = bimodal_lines(curves)
    chain_peak = markov.peak(*dense_chain(cal, "f = 3.2%"))[1]
    return [
        ("The ticket lock collapses and MCS does not, with one c for both: the collapse comes from "
        "the hand-off growing with the waiters (c·k/2 for k ≥ 2), not from the calibration."),
        (f"The simulator runs the benchmark's loop as fixed cycles, the chain (the paper's "
         f"model) with exponential times: the fixed loop stays uncontended up to the peak and "
         f"then falls off a cliff, as the machine does: 0.4% peaks at "
         f"{r[PEAK_AT, 'f = 0.4%'].mean:g} cores and is {r[AFTER, 'f = 0.4%'].mean:.1f} at 30 "
         f"(≈{r[AFTER, 'f = 0.4%'].published:g} measured); 0.2% peaks at "
         f"{r[PEAK_AT, 'f = 0.2%'].mean:g} and is {r[AFTER, 'f = 0.2%'].mean:.1f} at 42 "
         f"(≈{r[AFTER, 'f = 0.2%'].published:g}); the chain, whose exponential times queue "
         f"earlier and recover more easily, peaks at {chain_peak:.1f} for "
         "3.2% and collapses later and more gently for 0.2%. Every core starts its loop at "
         "time 0, so a fixed loop beyond the cliff starts collapsed and stays so."),
        ("Disclosed: until this change the simulator drew exponential times, the scope listed "
         "the benchmark's nearly deterministic loop as not expressed, and this discussion named "
         "it as the likely cause of the 3.2% miss; the change to fixed cycles was made after "
         "that run had missed 8 of 14 rows, and c is the same (fitted on the chain). The rows "
         "it moves are marked post hoc. ASSUMED: the loop's cycles are exactly fixed. The "
         "score depends on it: the same full run with a and s lognormal (all else equal) "
         "puts 11 of 14 inside with cv 0.02 and 5 of 14 with cv 0.1, whose 0.4% curve stays "
         "fast through 30 cores and 0.2% curve through 47. The model does not fit a jitter."),
        ("A fixed loop gives identical replications: every interval is a point and no core "
         "count splits into a fast and a collapsed mode. The mode split (curves.csv: "
         "low_mode, high_mode and their shares) stays for loops with jitter. Bimodal here: "
         + ("; ".join(two) if two else "none") + "."),
        (f"c = {cal.c:.0f} cycles fits one measured peak; the paper's model curves peak lower "
         "(3.2%) and end lower (0.2%) than the chain with this c, so the paper's model uses a "
         "larger effective c or another hand-off form than the one fitted here."),
        ("What the model cannot express, and so does not predict: the real workloads (FOPS, "
         "MEMPOP, PFIND, EXIM); the loop's jitter (its cycles are fixed here); the machine's "
         "topology (a line transfer costs c whatever the distance "
         "between dies, and the home directory is not a queue of its own)."),
    ]


def figure(pub: pd.DataFrame, cal: Calibration, curves: pd.DataFrame):
    """One panel per serial fraction: simulator (main mode, CI band; open circles: both modes
    of a bimodal point), chain (dotted), published points."""
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
                two = c[c["bimodal"]]
                for m in ("low", "high"):
                    ax.scatter(two[CORES], two[f"{m}_mode"], s=90 * two[f"{m}_share"],
                               facecolors="none", edgecolors=colors[kind], lw=1,
                               label=(f"{kind}: both modes, area ∝ share"
                                      if m == "low" and len(two) else None))
            measured = pub[(pub["system"] == f) & pub["quantity"].isin([PEAK, AFTER, AT48])
                           & pub["x"].notna()]
            ax.plot(measured["x"], measured["value"], "s", mfc="white", color="k", ms=8,
                    label="ticket (published, F)")
            ax.set(title=f"serial fraction {f[4:]}", xlabel="cores")
        axes[0].set_ylabel("speedup")
        axes[0].legend(fontsize=8)
    return fig
