"""Indirect costs of an address-space crossing: TLB and cache refill (``[system.address_space]``).

After a crossing, what runs next touches its working set ``w`` (bytes) and pays

    refill = tlb_refill · min(⌈w / page⌉, tlb_entries)     if the crossing flushed the TLB
           + cache_refill · w / 1024

A crossing flushes the TLB unless the TLB is tagged (``tagged_tlb``) or one of
its two sides is a small space (``small_spaces``: L4's segment-protected
spaces, mapped in every large one). Clients' processes are large spaces.
Nothing is drawn: a refill is a constant per crossing, so it changes no random
stream. Extension hook: a refill that depends on what ran in between (cache
capacity, LRU) would replace :meth:`Refill.cost` and keep its callers.
"""

from __future__ import annotations

import math

from kernsim.config.address_space import AddressSpaceSpec

KIB = 1024.0


class Refill:
    """The refill costs of one configuration's crossings."""

    def __init__(self, spec: AddressSpaceSpec) -> None:
        self.spec = spec
        self.small = frozenset(spec.small_spaces)

    def flushes(self, a: str | None, b: str | None) -> bool:
        """Does a crossing between domains ``a`` and ``b`` (None: a client's process) flush
        the TLB?"""
        return not self.spec.tagged_tlb and a not in self.small and b not in self.small

    def cost(self, working_set: float, flush: bool) -> float:
        """µs to refill ``working_set`` bytes after a crossing (``flush``: it flushed the TLB)."""
        spec, total = self.spec, 0.0
        if flush and spec.tlb_refill > 0 and working_set > 0:
            pages = min(math.ceil(working_set / spec.page), spec.tlb_entries)
            total += spec.tlb_refill * pages
        if spec.cache_refill > 0 and working_set > 0:
            total += spec.cache_refill * working_set / KIB
        return total

    def crossing(self, working_set: float, a: str | None, b: str | None) -> float:
        """µs that the side entered pays after a crossing from ``a`` into ``b``."""
        return self.cost(working_set, self.flushes(a, b))
