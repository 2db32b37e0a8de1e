"""The sections of a scenario, one module per group of top-level keys.

Each module holds the pydantic models of one part of the scenario language
(``regions``, ``replication``, ``users``, ``clients``, ``traffic``, ``attackers``,
``dns``/``health_check``/``failover``, ``sessions``, ``lockout``, ``faults``,
``pricing``, ``run``); :mod:`drsim.scenario.schema` puts them together into a
:class:`~drsim.scenario.schema.Scenario` and re-exports every name.
"""
