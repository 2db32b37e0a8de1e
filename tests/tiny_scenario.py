"""The tiny scenario the experiment, CLI, API and report tests share.

A two-region active-passive design (the reference defaults) with 2000 users, a
10-minute run and a 5-minute primary outage, with traffic scaled down so that
one replication takes a fraction of a second: tests over it exercise the real
model end to end.
"""

from __future__ import annotations

ATTACKER = """\
attackers:
  - name: stuffer
    kind: credential_stuffing
    rate: 2/s
    targets: 50
"""


def tiny_scenario(seed: int, replications: int = 2, attacker: bool = False,
                  head: str = "name: tiny\n") -> str:
    """The scenario's YAML text; ``head`` comes first (name, description, comments)."""
    return f"""\
{head}users:
  population: 2000
traffic:
  sign_in: 2/s
  federated_sign_in: 0.2/s
  refresh: 4/s
  sign_up: 0.1/s
  profile_read: 1/s
  profile_update: 0.2/s
  password_change: 0.05/s
  sign_out: 0.1/s
{ATTACKER if attacker else ""}run:
  duration: 10m
  replications: {replications}
  seed: {seed}
faults:
  - kind: region_outage
    region: us-east-1
    start: 2m
    duration: 5m
"""
