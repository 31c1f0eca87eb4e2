"""Härtig et al. 1997: L4Linux vs native Linux vs MkLinux.

Calibrate a small stated set (``haertig97_cal``: the clock, native getpid and its
kernel entry, Figure 5's L4 IPCs and emulation library, one MkLinux IPC cost per
variant from Table 2, the context switch of each system, and one indirect cost);
then predict Table 3's lmbench and hbench:OS rows for L4Linux and MkLinux
user-level from each row's native column, MkLinux's in-kernel column setting each
row's Mach-side work for both variants (``haertig97_table3``: two run stages), and
the L4Linux AIM curve of Figure 9 from the native one (``haertig97_aim``). Rows
moved by a change made after they had been seen are marked post hoc.

What runs per system call: natively the trap (kernel entry and exit) and the
call's work; on Linux as a server (``hybrid``) the system's "trap" (L4Linux: the
emulation library's entry and exit; MkLinux: Mach's trap), an IPC call into the
Linux server, the cache refill of the 45 lines L4Linux's own path occupies, the
work, and the IPC reply; a process switch costs the system's context switch.
"""

from __future__ import annotations

import pandas as pd

from kernsim.reproduce import (
    compare,
    haertig97_aim,
    haertig97_cal,
    haertig97_table3,
    published,
    runs,
)
from kernsim.reproduce.compare import Row
from kernsim.reproduce.haertig97_cal import (
    CLOCK,
    EMULATION,
    ENTRY,
    GETPID,
    L4,
    L4_IPC,
    MK_IN,
    MK_USER,
    NATIVE,
    SYSTEMS,
    Calibration,
)
from kernsim.reproduce.study import Result, scope_text

NAME = "haertig97"
GETPID_FILE = "haertig97_getpid"
TOLERANCE_CHANGES = [
    ("AIM max throughput below native (L4Linux): ±2.5 percentage points (half the published "
     "penalty, a margin for the uncalibrated system-call density) → ±10% of 5% = ±0.5 points "
     "(tag P): a tolerance now states how precisely the paper gives the figure, not how far "
     "the model may be off; the mix's uncalibrated assumptions are reasons for a miss, to be "
     "explained, not widened into the tolerance"),
    ("getpid latency (L4Linux, both MkLinux): ±20% (tag U) → none: the model's getpid costs "
     "are built from the S figures they were compared with (identity, not judged)"),
    ("getpid rows re-read from the paper's Table 2 (tag U → P; issue 15): MkLinux's now "
     "calibrate (one IPC cost per variant), L4Linux's is Figure 5's sum (identity); no "
     "tolerance changed: Table 3 and Figure 9 rows take their tags' rules (P ±10%, F ±5% of "
     "the 140 jobs/min axis) as written"),
]

MACH_CHANGE = ("MkLinux Mach-side work per row (commit 9b84da7): formed after the in-kernel and "
               "user-level misses of each row were seen nearly equal (at 5417964, 5 of the 38 "
               "MkLinux cells were inside)")
RPC_CHANGE = ("a third system call per RPC half round trip (commit 9b84da7): added after every "
              "RPC row was seen low on every system")


def settings(ctx: runs.Context, cal: Calibration) -> dict:
    """The getpid loop of Table 2: the calibrated structures, getpid's work."""
    sweep = runs.base_sweep(ctx, GETPID_FILE)
    sweep["zip"] = cal.zip()
    values = {"components.getpid.service": round(cal.us(cal.work), 6), "sweep": sweep}
    if ctx.quick:
        values["experiment.duration"] = "0.5ms"
    return values


def reproduce(ctx: runs.Context) -> Result:
    pub = published.load(NAME)
    cal = haertig97_cal.calibration(pub)
    getpid_set = settings(ctx, cal)
    getpid = runs.run_file(ctx, GETPID_FILE, getpid_set, GETPID_FILE)
    getpid = getpid.assign(structure=[
        cal.system_of(a, t, i) for a, t, i in
        zip(getpid["system.architecture"], getpid["system.trap"], getpid["system.ipc.latency"])])
    table3, micro_sets, mach = haertig97_table3.run(ctx, cal, pub)
    aim, top, aim_sets = haertig97_aim.run(ctx, cal)
    rows = (input_rows(pub, cal, getpid) + haertig97_table3.rows(pub, cal, table3)
            + haertig97_aim.rows(pub, aim, top))
    tests = {b.test for b in haertig97_table3.BENCHES}
    compare.post_hoc(rows, MACH_CHANGE, lambda r: r.system == MK_USER and r.quantity in tests)
    compare.post_hoc(rows, RPC_CHANGE, lambda r: "RPC" in r.quantity)
    curves = pd.concat([haertig97_table3.curves(table3),
                        haertig97_aim.curves(pub, aim, top)], ignore_index=True)
    overrides = {GETPID_FILE: runs.overrides(getpid_set), **micro_sets, **aim_sets}
    return Result(NAME, "Härtig et al. 1997 (L4Linux)", rows, curves,
                  figure(rows, haertig97_aim.curves(pub, aim, top), pub),
                  haertig97_cal.lines(cal) + haertig97_table3.mach_lines(mach), overrides,
                  scope_text(ctx.experiment(NAME)),
                  discussion(rows), tolerance_changes=TOLERANCE_CHANGES)


def input_rows(pub: pd.DataFrame, cal: Calibration, getpid: pd.DataFrame) -> list[Row]:
    """The clock, the cycle figures that set traps and IPCs, and Table 2's getpid loop."""
    cycles = {s: getpid.loc[getpid["structure"] == s, "response_mean"].to_numpy() * cal.mhz
              for s in SYSTEMS}
    out = [compare.exact(*CLOCK, "calibration", "MHz", cal.mhz, published.value(pub, *CLOCK),
                         "P", note="converts cycles to µs"),
           compare.exact(ENTRY, NATIVE, "calibration", "cycles", cal.trap[NATIVE],
                         published.value(pub, ENTRY, NATIVE), "P", note="native trap")]
    for step in EMULATION:
        out.append(compare.exact(step, L4, "calibration", "cycles", cal.trap[L4] / 2,
                                 published.value(pub, step, L4), "P",
                                 note=f"with its pair: L4Linux's trap, {cal.trap[L4]:g} cycles"))
    for step in L4_IPC:
        out.append(compare.exact(step, L4, "calibration", "cycles", cal.ipc[L4],
                                 published.value(pub, step, L4), "P",
                                 note=f"the model's one IPC: half the pair, {cal.ipc[L4]:g}"))
    for system in SYSTEMS:
        role = "identity" if system == L4 else "calibration"
        note = {NATIVE: "trap + getpid's work", L4: "Figure 5's steps sum to Table 2's 526; the "
                "model's work is native Linux's 141 cycles, Figure 5's LINUX step 131",
                MK_IN: "sets the IPC cost", MK_USER: "sets the IPC cost"}[system]
        out.append(compare.measured(GETPID, system, role, "cycles", cycles[system],
                                    published.value(pub, GETPID, system), "P", note))
    return out


def discussion(rows: list[Row]) -> list[str]:
    judged = [r for r in rows if r.role == "prediction"]
    out = []
    for system in (L4, MK_IN, MK_USER):
        mine = [r for r in judged if r.system == system and r.quantity.split()[0] in
                ("lmbench", "hbench")]
        if not mine:
            continue
        inside = sum(r.within == "yes" for r in mine)
        low = sum(r.mean < r.published for r in mine if "bandwidth" not in r.quantity)
        out.append(f"Table 3, {system}: {inside}/{len(mine)} inside; the model's latency is "
                   f"below the published one in {low} of "
                   f"{sum('bandwidth' not in r.quantity for r in mine)} latency rows.")
    net = [1 - r.mean / r.published for r in judged
           if r.system == L4 and ("UDP" in r.quantity or "TCP" in r.quantity)]
    user = [r.ratio for r in judged if r.system == MK_USER and "bandwidth" not in r.quantity
            and r.quantity.split()[0] in ("lmbench", "hbench")]
    out += [
        ("MkLinux: each row's Mach-side work (the Linux server's calls into Mach for virtual "
         "memory, devices and the network, which cost alike whether the server is co-located "
         "or not) is set by the in-kernel column, so that column calibrates and only the "
         "user-level one is predicted: what the prediction tests is that the two variants "
         "differ by the crossing into the server alone (getpid's IPC cost per variant). The "
         f"user-level latencies come out {min(user):.2f}–{max(user):.2f} of the published "
         "ones, never above: the user-level server pays more per crossing than the getpid "
         "calibration carries over, e.g. TLB refills after each switch of address space "
         "(tlb_refill = 0: no figure separates it) and a Mach IPC path whose cache "
         "footprint is larger than L4Linux's 45 lines, the only footprint the model refills."),
        ("Where L4Linux misses, the model lacks what its structure adds beyond one IPC pair, a "
         "refill and a switch per system call, for which the presets have no ops: UDP, TCP "
         "and the RPCs pass packets and wake-ups through the network stack's interrupt and "
         "bottom-half paths, which L4Linux runs in server threads; the model's L4Linux is "
         f"{min(net):.0%}–{max(net):.0%} low on the network rows. A miss measures how much "
         "of the paper's cost lies outside the per-call overhead."),
        other_l4_line(judged),
        ("Disclosed: two of this study's model changes were made after seeing the rows they "
         "move, and their effect was computed before they were built (the rows they move are "
         "marked post hoc and counted apart in the scorecard): the Mach-side work (the first "
         "run's in-kernel and user-level misses of a row were nearly equal, which suggested a "
         "cost that does not depend on where the server sits) and the RPCs' third system "
         "call (all RPC rows were low on every system). The third call is what puts the four "
         "user-level RPC rows inside: without it they come out 0.81–0.88 of the published "
         "values (the same code without the call, run before commit 9b84da7); on L4Linux it adds about 7 µs a round trip "
         "and the RPC rows stay 0.65–0.68. Neither change touched a tolerance."),
        ("The AIM prediction takes its level from the native curve and the model's "
         "L4Linux/native ratio at the user count where the model's native share of its "
         "maximum equals the curve's: the model predicts the slowdown's shape, not AIM's "
         "jobs. The mix's system-call density (CPU per call) is the preset's assumption, "
         "not calibrated (the native curve cannot identify it: native Linux has no crossing)."),
        aim_line(rows),
        ("Copy cost: zero (copy_cost_per_byte = 0): L4Linux's server reaches user memory "
         "directly, so no IPC copies the payload; the copy every structure pays lies in the "
         "mix's work."),
    ]
    return out


def other_l4_line(judged: list[Row]) -> str:
    """L4Linux's misses off the network rows, each with what the model lacks."""
    why = {
        "lmbench Pipe latency": ("the paper's own L4Linux pipe latencies disagree (lmbench "
                                 "52.07, hbench 62.3, Table 4 46 µs)"),
        "hbench Mmap Latency 8MB": ("the paper's L4Linux is 0.3 µs over native, less than its "
                                    "two calls' crossings: some of its mmap work must be cheaper "
                                    "than native Linux's (L4's own mapping), which the model "
                                    "does not express"),
        "lmbench Pipe bandwidth": ("the hbench pipe bandwidth row, the same operation, is "
                                   "inside: the two harnesses disagree by more than the model's "
                                   "error"),
        "hbench write to /dev/null": ("at the tolerance's edge; the refill is calibrated on "
                                      "lmbench's write (5.26 µs, printed with the table's "
                                      "largest spread, 10%)"),
    }
    misses = [r for r in judged if r.system == L4 and r.within == "no"
              and "UDP" not in r.quantity and "TCP" not in r.quantity
              and r.quantity.split()[0] in ("lmbench", "hbench")]
    if not misses:
        return "L4Linux misses no Table 3 row off the network rows."
    return ("L4Linux's other misses: " + "; ".join(
        f"{r.quantity} {r.ratio:.3f}× ({why.get(r.quantity, 'not explained')})" for r in misses)
        + ".")


def aim_line(rows: list[Row]) -> str:
    """The AIM figures against the paper's, and what moves them."""
    r = {q: row for row in rows if row.system == L4
         for q in (row.quantity,) if q.startswith("AIM") and q != haertig97_aim.CURVE}
    avg, top = r[haertig97_aim.SLOW_AVG], r[haertig97_aim.SLOW_MAX]
    below = r[haertig97_aim.BELOW]
    return (f"AIM, L4Linux: slowdown {avg.mean:.1f}% averaged over the loads (published "
            f"{avg.published:g}%), {top.mean:.1f}% at the largest load ({top.published:g}%), "
            f"maximum {below.mean:.1f}% below native ({below.published:g}%). At low loads the "
            "model's users spend most of their cycle thinking and waiting for the disk, so "
            "the extra CPU per call hardly shows, where the paper's L4Linux is 10–17% slower; "
            "at saturation every request pays L4Linux's 16.22 µs context switch (lmbench "
            "2-proc ctxsw) instead of native's 7 µs, which outweighs the calls' own overhead "
            "and puts the model's penalty above the paper's.")


def figure(rows: list[Row], aim_curves: pd.DataFrame, pub: pd.DataFrame):
    """Left: Table 3, model / published per prediction; right: Figure 9 and the prediction."""
    import seaborn as sns
    from matplotlib.figure import Figure

    from kernsim.analysis import figure as look

    with look.theme():
        fig = Figure(figsize=(12, 4.5))
        left, right = fig.subplots(1, 2)
        colors = dict(zip(SYSTEMS, sns.color_palette(look.PALETTE, len(SYSTEMS))))
        table = [r for r in rows if r.role == "prediction" and "AIM" not in r.quantity]
        tests = list(dict.fromkeys(r.quantity for r in table))
        for system in (L4, MK_IN, MK_USER):
            mine = [r for r in table if r.system == system]
            left.plot([r.ratio for r in mine], [tests.index(r.quantity) for r in mine], "o",
                      color=colors[system], label=system)
        left.axvspan(0.9, 1.1, color="0.85", zorder=0, label="±10% (tag P)")
        left.set(xscale="log", yticks=range(len(tests)), xlabel="model / published",
                 title="Table 3: predictions")
        left.set_yticklabels(tests, fontsize=7)
        left.legend(fontsize=7)
        for system in (NATIVE, L4):
            pts = haertig97_aim.curve(pub, system)
            right.plot(pts.index, pts.to_numpy(), "s", mfc="white", color=colors[system],
                       label=f"{system} (Figure 9, F)")
        pred = aim_curves[aim_curves["what"] == "aim prediction"]
        right.errorbar(pred["load"], pred["mean"], yerr=pred["std"], color=colors[L4],
                       label="L4Linux predicted (± sd)")
        right.set(xlabel="AIM simulated load", ylabel="jobs per minute", ylim=(0, 140),
                  title="AIM: native calibrates, L4Linux predicted")
        right.legend(fontsize=7)
        fig.tight_layout()
    return fig


