"""``kernsim.experiment.executors``: the Dask executor on a real multi-process cluster on
127.0.0.1 (a scheduler and two workers started as subprocesses, stopped by pid), and on a
LocalCluster from the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from kernsim.experiment.load import load
from kernsim.experiment.runner import run
from kernsim.experiment.verify import verify

pytest.importorskip("distributed")


def results(folder) -> bytes:
    return (folder / "results.parquet").read_bytes()


def serial(exp, tmp_path, name="serial") -> bytes:
    return results(run(exp, out=tmp_path / name, executor="serial").out)


def _start(args: list, env: dict, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(procs: list) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def _address(file, procs: list, deadline: float) -> str:
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a dask process exited during start-up")
        if file.exists() and file.read_text().strip():
            try:
                return json.loads(file.read_text())["address"]
            except ValueError:
                pass
        time.sleep(0.1)
    raise TimeoutError("the dask scheduler did not start")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``dask scheduler`` + 2 × ``dask worker --nworkers 1 --nthreads 1`` on 127.0.0.1."""
    from distributed import Client

    root = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "DASK_TEMPORARY_DIRECTORY": str(root / "scratch")}
    file, procs = root / "scheduler.json", []
    with open(root / "cluster.log", "wb") as log:
        try:
            procs.append(_start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                 "--port", "0", "--no-dashboard", "--scheduler-file",
                                 str(file)], env, log))
            address = _address(file, procs, time.monotonic() + 60)
            for _ in range(2):
                procs.append(_start(["distributed.cli.dask_worker", "--scheduler-file",
                                     str(file), "--nworkers", "1", "--nthreads", "1",
                                     "--no-dashboard"], env, log))
            with Client(address, timeout=30) as client:
                client.wait_for_workers(2, timeout=60)
            yield address
        finally:
            _stop(procs[1:])
            _stop(procs[:1])


def worker_pids(address: str) -> dict:
    from distributed import Client

    with Client(address, timeout=30) as client:
        return client.run(os.getpid)


def sweep(replications: int, duration: str) -> dict:
    """tests/fixtures/sweep.toml with other run counts and lengths."""
    return {"experiment": {"replications": replications, "duration": duration}}


def test_cluster_sweep_is_byte_identical_to_serial(cluster, experiment_file, tmp_path):
    exp = load(experiment_file("x.toml", "sweep", **sweep(6, "3000us")))
    result = run(exp, out=tmp_path / "dask", scheduler=cluster)
    assert (result.ran, result.failures) == (12, [])
    assert results(tmp_path / "dask") == serial(exp, tmp_path)
    runs = json.loads((tmp_path / "dask" / "manifest.json").read_text())["runs"]
    assert (runs[0]["executor"], runs[0]["scheduler"]) == ("dask", cluster)
    assert verify(tmp_path / "dask").ok


@pytest.mark.scenario
def test_cluster_worker_killed_by_pid_mid_sweep_loses_nothing(cluster, experiment_file, tmp_path):
    exp = load(experiment_file("x.toml", "sweep", **sweep(16, "40000us")))
    pids, killed = worker_pids(cluster), []

    def tick(done: int, total: int) -> None:
        if done >= 3 and not killed:
            killed.append(next(iter(pids.values())))
            os.kill(killed[0], signal.SIGKILL)  # its nanny starts a new one

    result = run(exp, out=tmp_path / "dask", scheduler=cluster, progress=tick)
    assert killed
    assert (result.ran, result.failures) == (32, [])
    assert results(tmp_path / "dask") == serial(exp, tmp_path)


def test_cluster_task_over_its_timeout_is_cancelled_and_recorded(cluster, experiment_file,
                                                                 tmp_path):
    exp = load(experiment_file(
        "x.toml", experiment={"name": "slow", "seed": 9, "replications": 1, "duration": "1000us",
                              "task_timeout": "10s"},
        sweep={"experiment.duration": ["1000us", "2000us", "1000000s"]},
    ))  # the Dask timeout runs on the driver's clock, a fresh worker's imports included
    result = run(exp, out=tmp_path / "dask", scheduler=cluster,
                 allow_long=True)  # the slow task: days
    assert result.ran == 2
    assert [(f["design_point"], f["replication"]) for f in result.failures] == [(2, 0)]
    assert result.failures[0]["error"].startswith("timed out after 10 s")
    assert "cancelled" in result.failures[0]["error"]
    assert len(worker_pids(cluster)) == 2  # the busy worker was restarted, and came back


@pytest.mark.slow
def test_local_cluster_from_the_cli_matches_serial(kernsim, experiment_file, tmp_path,
                                                   monkeypatch):
    monkeypatch.setenv("DASK_TEMPORARY_DIRECTORY", str(tmp_path / "scratch"))
    path = experiment_file("x.toml", "sweep", **sweep(4, "3000us"))
    proc = kernsim("run", "x.toml", "--out", "dask", "--executor", "dask", "--workers", "2",
                   "-q")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert results(tmp_path / "dask") == serial(load(path), tmp_path)
    assert (tmp_path / "scratch" / "dask-scratch-space").is_dir()  # not in the repo
