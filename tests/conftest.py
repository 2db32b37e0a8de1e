"""Set-up shared by every test: Hypothesis examples that do not depend on what else ran.

Hypothesis seeds a share of its draws with the literals of the local modules loaded so
far (``hypothesis.internal.conjecture.providers._get_local_constants``). With a fixed seed
a property's examples then still changed with the modules other tests had imported first:
an invariant drew a failing example only when another test file was collected before it.
The pool is pinned to Hypothesis's own constants, so a seeded property draws the same
examples alone or in the suite, on any xdist worker. (A Hypothesis without that function:
nothing to pin.)
"""

from __future__ import annotations

from hypothesis.internal.conjecture import providers

if hasattr(providers, "_get_local_constants"):
    _NO_LOCAL_CONSTANTS = providers.Constants(
        integers=providers.SortedSet(),
        floats=providers.SortedSet(key=providers.float_to_int),
        bytes=providers.SortedSet(),
        strings=providers.SortedSet(),
    )
    providers._get_local_constants = lambda: _NO_LOCAL_CONSTANTS
    providers.CONSTANTS_CACHE.cache.clear()
