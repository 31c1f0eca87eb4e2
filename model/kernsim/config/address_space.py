"""``[system.address_space]``: the indirect cost of crossing address spaces.

An IPC crossing into another address space may flush the TLB (an untagged TLB,
such as the Pentium's) and leaves the caches holding the other side's lines.
What runs next refills what it touches: its *working set*
(``components.C.working_set`` for a server's visit,
``workload.classes.X.working_set`` for the client's process). Every key
defaults to zero or off, so a file without this table runs exactly as before.
The arithmetic is :mod:`kernsim.system.refill`; where it is charged is
:func:`kernsim.system.program.compile_class`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from pydantic import Strict as StrictType

from kernsim.config.types import Bytes, Duration, Name, Strict


class AddressSpaceSpec(Strict):
    """``[system.address_space]``: TLB and cache refill after a crossing.

    ``tlb_refill``: cost of one TLB miss, paid for every page of the working set
    touched after a crossing that flushes the TLB (at most ``tlb_entries``
    pages: no more entries can have been lost). ``cache_refill``: cost per KiB of
    the working set touched after any crossing (cache lines the other side
    displaced; a tagged TLB does not save them). ``tagged_tlb``: crossings keep
    the TLB (no TLB refill). ``small_spaces``: server domains in L4 "small
    spaces" (segment-protected, mapped in every large space): a crossing to or
    from one of them flushes no TLB.
    """

    tlb_refill: Duration = 0.0
    tlb_entries: Annotated[int, StrictType()] = Field(64, ge=1, le=1_000_000)
    page: Bytes = Field(4096.0, gt=0)
    cache_refill: Duration = 0.0
    tagged_tlb: Annotated[bool, StrictType()] = False
    small_spaces: list[Name] = []

    def enabled(self) -> bool:
        """Does any crossing cost something?"""
        return self.tlb_refill > 0 or self.cache_refill > 0
