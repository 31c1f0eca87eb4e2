"""``kernsim.build``: the model a config builds, run end to end."""

import gc
import tracemalloc

import numpy as np

from kernsim.build import Model
from kernsim.engine.monitor import Quantiles
from kernsim.engine.streams import Streams
from kernsim.experiment.load import from_dict


def test_os_model_memory_is_flat_in_simulated_time():
    """Past the first block, a longer run keeps no per-request values: the tracemalloc
    peak grows by less than one float per extra request (keeping each response time in
    the overall and the per-class tallies would cost 16 bytes per request)."""

    def run(duration: float) -> tuple[int, int]:
        raw = {"experiment": {"name": "mem", "replications": 1, "duration": duration},
               "system": {"architecture": "monolithic", "cores": 2, "trap": "0.1us",
                          "lock": {"kind": "mcs", "c": "0.05us"}},
               "workload": {"kind": "closed", "clients": 8, "think": "5us",
                            "classes": {"a": {"share": 0.5, "path": ["x"]},
                                        "b": {"share": 0.5, "path": ["x"]}}},
               "components": {"x": {"service": {"dist": "exponential", "mean": "1us"},
                                    "critical": "0.2us"}}}
        model = Model(from_dict(raw).config, Streams(np.random.SeedSequence(3)))
        gc.collect()
        tracemalloc.start()
        try:
            out = model.run()
            return int(out["completed"]), tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    run(2_000.0)  # imports and caches
    n1, peak1 = run(20_000.0)
    n2, peak2 = run(60_000.0)
    assert n1 > Quantiles().exact  # past the exact block already
    assert peak2 - peak1 < 8 * (n2 - n1), (n1, peak1, n2, peak2)
