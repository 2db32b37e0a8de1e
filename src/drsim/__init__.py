"""drsim: a discrete-event simulator of multi-region identity services under failure.

It answers the questions of a disaster-recovery review — how many sign-ins fail
during a regional outage, how stale the replica is, how much an attacker gains
from per-region lockout counters, what failover really costs in RTO and RPO —
for a design written as a scenario file (see :mod:`drsim.scenario`).

Public Python API (:mod:`drsim.api`), mirroring ``drsim run``::

    import drsim
    scenario = drsim.load("scenarios/cognito-active-passive.yaml", ["users.population=2000"])
    out = drsim.run(scenario, reps=3, seed=7)
    out.summary["metrics"]["failed_logins"]   # {"mean", "ci95", "per_replication"}
    out.records(0).requests                   # replication 0's requests as a DataFrame

``load``, ``run`` and ``RunOutput`` are imported lazily, so ``import drsim``
stays cheap. This module belongs to the ``api`` layer (docs/architecture.md):
no lower layer imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drsim.experiment.version import DRSIM_VERSION as __version__

__all__ = ["RunOutput", "__version__", "compare", "load", "run", "sweep", "write_report"]

if TYPE_CHECKING:
    from drsim.api import RunOutput, compare, load, run, sweep, write_report


_LAZY = ("RunOutput", "compare", "load", "run", "sweep", "write_report")


def __getattr__(name: str) -> Any:
    """Lazy re-exports of the public API (PEP 562)."""
    if name in _LAZY:
        from drsim import api

        return getattr(api, name)
    raise AttributeError(f"module 'drsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public API first of all (``dir(drsim)``, tab completion), lazy names included."""
    return sorted(set(__all__) | set(globals()))
