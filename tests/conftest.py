"""Set-up shared by every test: Hypothesis examples that do not depend on what else ran.

Hypothesis seeds a share of its draws with the literals of the local modules loaded so
far (``hypothesis.internal.conjecture.providers._get_local_constants``). With a fixed seed
a property's examples then still changed with the modules other tests had imported first:
an invariant drew a failing example only when another test file was collected before it.
The pool is pinned to Hypothesis's own constants, so a seeded property draws the same
examples alone or in the suite, on any xdist worker.
"""

from __future__ import annotations


def _pin_hypothesis_constants() -> None:
    """Hypothesis's pool of local constants, pinned to its own (see above); Hypothesis's
    internals are not an API, so a version laid out otherwise is left as it is."""
    try:
        from hypothesis.internal.conjecture import providers

        no_local_constants = providers.Constants(
            integers=providers.SortedSet(),
            floats=providers.SortedSet(key=providers.float_to_int),
            bytes=providers.SortedSet(),
            strings=providers.SortedSet(),
        )
        cache = providers.CONSTANTS_CACHE.cache
        providers._get_local_constants  # noqa: B018 - present in the versions this pins
    except (ImportError, AttributeError, TypeError):
        return
    providers._get_local_constants = lambda: no_local_constants
    cache.clear()


_pin_hypothesis_constants()
