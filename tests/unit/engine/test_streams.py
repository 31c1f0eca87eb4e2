"""``kernsim.engine.streams``: named random streams, reproducible and independent of each
other."""

import os
import subprocess
import sys

import numpy as np
from experiment_files import ROOT

from kernsim.engine.streams import Streams, stable_key, task_seed


def draws(streams, name, n=5):
    return streams.get(name).random(n).tolist()


def test_stable_key_pinned():
    # Pinned values: a change here would silently change every simulation.
    assert stable_key("arrivals") == 791231600
    assert stable_key("") == 309448485
    assert stable_key("µ") == 758286544
    assert 0 <= stable_key("anything") < 2**32


def test_same_seed_same_draws():
    a, b = Streams(task_seed(42, 0)), Streams(task_seed(42, 0))
    assert draws(a, "disk") == draws(b, "disk")


def test_other_names_do_not_shift_a_stream():
    a, b = Streams(task_seed(42, 0)), Streams(task_seed(42, 0))
    draws(a, "network", 1000)
    a.get("cpu").standard_normal(17)
    assert draws(a, "disk") == draws(b, "disk")


def test_different_names_and_seeds_differ():
    s = Streams(task_seed(42, 0))
    assert draws(s, "disk") != draws(s, "disk2")
    assert draws(Streams(task_seed(42, 1)), "disk") != draws(Streams(task_seed(42, 0)), "disk")
    assert draws(Streams(task_seed(43, 0)), "disk") != draws(Streams(task_seed(42, 0)), "disk")


def test_get_is_cached_and_getitem_is_get():
    s = Streams(task_seed(1))
    assert s.get("x") is s.get("x")
    assert s["x"] is s.get("x")


def test_get_construction_rule():
    seed = task_seed(5, 2, 3)
    expected = np.random.SeedSequence(entropy=5, spawn_key=(2, 3, stable_key("disk")))
    ref = np.random.Generator(np.random.PCG64(expected))
    assert draws(Streams(seed), "disk") == ref.random(5).tolist()
    assert isinstance(Streams(seed).get("disk").bit_generator, np.random.PCG64)


def test_child_streams_live_in_their_own_namespace():
    s = Streams(task_seed(9))
    child = s.child("server")
    assert child.seed.spawn_key == (stable_key("server"),)
    assert child.seed.entropy == 9
    assert draws(child, "disk") == draws(Streams(task_seed(9)).child("server"), "disk")
    assert draws(child, "disk") != draws(s, "disk")
    assert draws(child, "disk") != draws(s.child("client"), "disk")


def test_task_seed_keeps_the_entropy_and_the_spawn_key():
    seed = task_seed(123, 4, 5)
    assert seed.entropy == 123
    assert seed.spawn_key == (4, 5)


SCRIPT = """
from kernsim.engine.streams import Streams, task_seed
s = Streams(task_seed(42, 3)).child("kernel")
print(repr(s.get("disk").random(4).tolist()))
"""


def test_draws_identical_in_another_process():
    here = Streams(task_seed(42, 3)).child("kernel").get("disk").random(4).tolist()
    for hashseed in ("0", "12345"):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hashseed}
        out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                             text=True, check=True).stdout
        assert out.strip() == repr(here)
