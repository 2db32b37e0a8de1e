"""Legal but suspect settings: what ``drsim validate`` warns about.

A scenario can be valid and still not say what its author meant: a fault that
outlasts the run makes the fault's end, RTO and failback fall outside what is
measured; a scenario that names no clients gets the optimistic default (every
client honours the DNS TTL) instead of the calibrated ``internet`` mix. These
are warnings (``drsim validate`` exits 0 and prints a ``warning:`` line for
each; ``--strict`` makes them errors), found on the resolved document.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from drsim.scenario import units
from drsim.scenario.consistency import Inconsistency
from drsim.scenario.schema import Scenario
from drsim.scenario.sections.faults import source_indices


def suspect_settings(scenario: Scenario, document: dict[str, Any]) -> Iterator[Inconsistency]:
    """Warnings about ``scenario`` (``document``: the resolved YAML data it came from)."""
    yield from _faults_past_the_end(scenario)
    yield from _default_clients(document)
    yield from _shedding_without_effect(scenario)


def _faults_past_the_end(scenario: Scenario) -> Iterator[Inconsistency]:
    horizon = scenario.run.duration
    sources = source_indices(scenario.faults)
    for index, fault in enumerate(scenario.faults):
        end = fault.start + fault.duration
        if fault.start < horizon < end and not math.isinf(fault.duration):
            yield Inconsistency(
                ("faults", sources[index], "duration"),
                f"the fault lasts until {units.format_duration(end)}, past the end of the run "
                f"({units.format_duration(horizon)}): its end, the recovery and failback are "
                f"not simulated (write duration: forever if that is meant, or a longer "
                f"run.duration)")


def _default_clients(document: dict[str, Any]) -> Iterator[Inconsistency]:
    if "clients" not in document:
        yield Inconsistency(
            ("clients",),
            "no clients given: every client honours the DNS TTL, the most optimistic choice; "
            "'clients: internet' is the mix measured on real resolvers and clients "
            "(Flavel et al., LANMAN 2014)")


def _shedding_without_effect(scenario: Scenario) -> Iterator[Inconsistency]:
    timeouts = [k.timeout for k in scenario.clients if k.timeout is not None]
    for index, region in enumerate(scenario.regions):
        capacity = region.capacity
        if capacity is None:
            continue
        if capacity.discipline == "drop_expired" and not timeouts:
            yield Inconsistency(
                ("regions", index, "capacity", "discipline"),
                "drop_expired skips requests whose client has timed out, but no client kind "
                "has a timeout (clients[].timeout): the queue is plain FIFO")
        if capacity.max_wait is not None and timeouts and capacity.max_wait >= min(timeouts):
            yield Inconsistency(
                ("regions", index, "capacity", "max_wait"),
                f"max_wait {units.format_duration(capacity.max_wait)} is not under the "
                f"shortest client timeout ({units.format_duration(min(timeouts))}): requests "
                "admitted can still time out, their work done for nobody")
