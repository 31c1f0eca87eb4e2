"""``kernsim bench --sweep``: speed-up of the process pool and Dask over serial.

One sweep of ``tasks`` replications of an M/M/1 queue whose duration is scaled
so that one task takes ≈ ``seconds`` on this machine now (calibrated from one
short run), run into a fresh folder by each executor in turn through the
runner itself (pool or cluster start-up included). Reports wall times, the
speed-up over serial, the median wall time of one task as each executor ran
it (a task slower in parallel than in serial means the cores were not free),
and the load average around the runs. Also checks that every executor wrote
the same results.parquet bytes.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: the calibration run: simulated µs (about 10,000 arrivals)
PROBE_US = 100_000.0


@dataclass(frozen=True)
class SweepOptions:
    tasks: int = 64
    seconds: float = 1.0
    workers: int | None = None  # [all cores]
    executors: tuple[str, ...] = ("serial", "processes", "dask")

    @classmethod
    def quick(cls) -> SweepOptions:
        return cls(tasks=16, seconds=0.25)


def queue(duration_us: float, tasks: int) -> Any:
    """An experiment of ``tasks`` replications of a stable M/M/1 queue (ρ = 0.5)."""
    from kernsim.experiment.load import from_dict

    return from_dict({
        "experiment": {"name": "bench_sweep", "seed": 2026, "replications": tasks,
                       "duration": duration_us},
        "workload": {"interarrival": {"dist": "exponential", "mean": 10.0}},
        "components": {"cpu": {"service": {"dist": "exponential", "mean": 5.0}}},
    })


def calibrate(seconds: float) -> float:
    """Simulated µs that take ≈ ``seconds`` of wall time per task here, now."""
    from kernsim.experiment.tasks import iter_tasks, run_task

    task = next(iter_tasks(queue(PROBE_US, 1)))
    run_task(task)  # warm up imports and caches
    wall = min(run_task(task)["_wall_s"] for _ in range(3))
    return PROBE_US * seconds / max(wall, 1e-6)


def run_sweep_bench(options: SweepOptions,
                    progress: Callable[[str], None] | None = None) -> dict:
    """Time the sweep on each executor; return walls, speed-ups and the load average."""
    from kernsim.experiment.runner import run

    say = progress or (lambda text: None)
    duration = calibrate(options.seconds)
    exp = queue(duration, options.tasks)
    walls, outputs, tasks, load = {}, {}, {}, {"before": _load()}
    with tempfile.TemporaryDirectory(prefix="kernsim-bench-") as tmp:
        for executor in options.executors:
            say(f"{executor}: {options.tasks} tasks of ≈{options.seconds:g} s …")
            start = time.perf_counter()
            run(exp, out=Path(tmp) / executor, executor=executor, workers=options.workers)
            walls[executor] = time.perf_counter() - start
            outputs[executor] = (Path(tmp) / executor / "results.parquet").read_bytes()
            tasks[executor] = _median_task(Path(tmp) / executor)
    load["after"] = _load()
    return _result(options, duration, walls, outputs, tasks, load)


def _median_task(folder: Path) -> float:
    walls = json.loads((folder / "manifest.json").read_text())["tasks"].values()
    return round(statistics.median(walls), 3)


def _result(options: SweepOptions, duration: float, walls: dict, outputs: dict,
            tasks: dict, load: dict) -> dict:
    serial = walls.get("serial")
    return {
        "options": asdict(options),
        "task_duration_simulated_us": round(duration, 1),
        "wall_s": {k: round(v, 2) for k, v in walls.items()},
        "median_task_s": tasks,
        "speedup_vs_serial": {k: round(serial / v, 2) for k, v in walls.items()
                              if serial and k != "serial"},
        "identical_results": len(set(outputs.values())) == 1,
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "load_average_1min": load,
    }


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def render(result: dict) -> str:
    """A few plain lines: wall time and speed-up per executor, then the context."""
    speed = result["speedup_vs_serial"]
    lines = [f"{'executor':<10} {'wall (s)':>9} {'speed-up':>9} {'task (s)':>9}"]
    for executor, wall in result["wall_s"].items():
        ratio = "1.00×" if executor == "serial" else f"{speed[executor]:.2f}×"
        task = result["median_task_s"][executor]
        lines.append(f"{executor:<10} {wall:>9.2f} {ratio:>9} {task:>9.3f}")
    opt, load = result["options"], result["load_average_1min"]
    lines.append(f"{opt['tasks']} tasks of ≈{opt['seconds']:g} s "
                 f"({result['task_duration_simulated_us'] / 1e6:.3g} s simulated each), "
                 f"{result['cpus']} CPUs, workers {opt['workers'] or 'all cores'}; "
                 f"load average {load['before']} before, {load['after']} after; "
                 f"identical results: {'yes' if result['identical_results'] else 'NO'}")
    return "\n".join(lines)
