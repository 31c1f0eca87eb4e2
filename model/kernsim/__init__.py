"""kernsim: discrete-event simulation of operating-system structure, on SimPy.

``kernsim.load_results(path)`` gives a results folder as a tidy pandas frame;
``kernsim.run_experiment(path)`` runs an experiment file from Python;
``kernsim.run_replication(config, row["replication_seed"])`` reruns one replication of a
results row alone.
"""

from kernsim.version import __version__

__all__ = ["__version__", "load_experiment", "load_results", "load_samples", "load_series",
           "run_experiment", "run_replication", "summarize"]


def __getattr__(name: str):
    """Import the heavy parts (pandas, pyarrow) only when asked for."""
    if name == "load_results":
        from kernsim.experiment.store import load_results
        return load_results
    if name == "load_samples":
        from kernsim.experiment.store import load_samples
        return load_samples
    if name == "load_series":
        from kernsim.analysis.timeseries import load_series
        return load_series
    if name == "load_experiment":
        from kernsim.experiment.load import load
        return load
    if name == "run_experiment":
        from kernsim.experiment.api import run_experiment
        return run_experiment
    if name == "run_replication":
        from kernsim.simulate import run_replication
        return run_replication
    if name == "summarize":
        from kernsim.analysis.stats import summarize
        return summarize
    raise AttributeError(f"module 'kernsim' has no attribute {name!r}")
