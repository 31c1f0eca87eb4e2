"""Named random-number streams.

Each named stochastic source gets its own child of a root
:class:`numpy.random.SeedSequence`; the child's spawn key is the parent's
extended with :func:`stable_key` of the name, so adding a source never
shifts the draws of any other.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["Streams", "seed_from_text", "seed_text", "stable_key", "task_seed"]


def stable_key(name: str) -> int:
    """Return a 32-bit key for ``name``, identical on every process and platform."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big")


def task_seed(root_seed: int, *keys: int) -> np.random.SeedSequence:
    """Return the seed sequence of one task (e.g. a replication) under ``root_seed``."""
    return np.random.SeedSequence(root_seed, spawn_key=tuple(keys))


def seed_text(seed: np.random.SeedSequence) -> str:
    """``"entropy/key/key…"``: all a replication's seed sequence is, as one table cell."""
    return "/".join(str(k) for k in (seed.entropy, *seed.spawn_key))


def seed_from_text(text: str) -> np.random.SeedSequence:
    """The seed sequence a :func:`seed_text` cell names (``kernsim.run_replication``
    takes the cell itself)."""
    try:
        entropy, *keys = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise ValueError(f"replication seed {text!r}: expected integers joined by '/', "
                         "e.g. '2026/7'") from None
    return np.random.SeedSequence(entropy, spawn_key=tuple(keys))


def _extend(seed: np.random.SeedSequence, name: str) -> np.random.SeedSequence:
    key = tuple(seed.spawn_key) + (stable_key(name),)
    return np.random.SeedSequence(entropy=seed.entropy, spawn_key=key)


class Streams:
    """A namespace of independent generators keyed by name."""

    __slots__ = ("_cache", "seed")

    def __init__(self, seed: np.random.SeedSequence) -> None:
        self.seed = seed
        self._cache: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        """Return the (cached) generator for ``name``."""
        rng = self._cache.get(name)
        if rng is None:
            rng = self._cache[name] = np.random.Generator(np.random.PCG64(_extend(self.seed, name)))
        return rng

    __getitem__ = get

    def child(self, name: str) -> Streams:
        """Return a sub-namespace; its streams are disjoint from this one's."""
        return Streams(_extend(self.seed, name))

    def __repr__(self) -> str:
        return f"Streams(entropy={self.seed.entropy}, spawn_key={self.seed.spawn_key})"
