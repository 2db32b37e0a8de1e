"""Cost: what the design costs per month at the scenario's scale (MODEL.md 10).

Monthly active users (MAU) = ``pricing.monthly_active`` × (initial population
+ users created during the run). The replication add-on is charged per MAU
per replica (every region but the first), the baseline per MAU, and
machine-to-machine tokens per 1000 issued, with the replication surcharge when
the pool is replicated [report].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drsim.metrics._common import legit_mask, ok_mask, op_mask
from drsim.scenario.schema import Scenario

MONTH_S = 730.0 * 3600.0
"""A billing month: 730 hours (the cloud providers' convention), in seconds."""


def cost_metrics(
    requests: pd.DataFrame, scenario: Scenario, users_created: float
) -> dict[str, float]:
    """Monthly cost in US dollars.

    Args:
        requests: the ``requests`` table (M2M tokens issued).
        scenario: pricing, population, regions, replication mode and run duration.
        users_created: users created during the run.

    Returns:
        ``monthly_active_users``; ``cost_replication_per_month_usd`` = MAU ×
        replica price × (regions − 1), 0 when ``replication.mode`` is ``none``;
        ``cost_baseline_per_month_usd`` = MAU × baseline price;
        ``cost_m2m_per_month_usd`` = M2M tokens issued (``m2m_token`` requests
        ending ``ok``, scaled from the run to :data:`MONTH_S`) / 1000 × price ×
        (1 + surcharge when replicated), of which ``cost_m2m_surcharge_per_month_usd``
        is the surcharge; ``cost_per_month_usd`` = replication + baseline + M2M.
    """
    pricing = scenario.pricing
    mau = pricing.monthly_active * (float(scenario.users.population) + float(users_created))
    replicas = 0 if scenario.replication.mode == "none" else len(scenario.regions) - 1
    replication = mau * pricing.replica_price * replicas
    baseline = mau * pricing.baseline_price
    issued = np.count_nonzero(
        legit_mask(requests) & op_mask(requests, "m2m_token") & ok_mask(requests)
    )
    per_month = issued * MONTH_S / float(scenario.run.duration)
    m2m_base = per_month / 1000.0 * pricing.m2m_per_1000_tokens
    surcharge = m2m_base * pricing.m2m_surcharge if replicas > 0 else 0.0
    m2m = m2m_base + surcharge
    return {
        "monthly_active_users": mau,
        "cost_replication_per_month_usd": replication,
        "cost_baseline_per_month_usd": baseline,
        "cost_m2m_per_month_usd": m2m,
        "cost_m2m_surcharge_per_month_usd": surcharge,
        "cost_per_month_usd": replication + baseline + m2m,
    }
