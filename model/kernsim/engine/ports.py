"""Ports: the callbacks a part calls on others, connected in one place.

A part names its outgoing callbacks in ``PORTS`` and starts with harmless
defaults; :class:`kernsim.build.Model` connects every port once, by name, after
it has built the parts (as desmod's ``connect`` does). No part assigns another
part's attributes: to learn who hears of a completion, read ``Model.connect``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class Ports:
    """Mixin: ``connect(port=target, ...)`` for the names in ``PORTS``, refusing others."""

    PORTS: ClassVar[tuple[str, ...]] = ()
    """The attribute names other parts may be connected to."""

    def connect(self, **targets: Any) -> None:
        """Connect each named port to its target (a callable, or a part)."""
        for port, target in targets.items():
            if port not in self.PORTS:
                raise TypeError(f"{type(self).__name__} has no port {port!r}; "
                                f"ports: {', '.join(self.PORTS) or '(none)'}")
            setattr(self, port, target)


def scaled(base: Any, factor: float) -> Any:
    """A sampler drawing from ``base`` and dividing by ``factor`` (a slowed service,
    a faster arrival stream)."""
    return lambda: base() / factor
