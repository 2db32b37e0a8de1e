"""Metrics: the numbers an architect takes to a design review, as pure functions of the records.

Entry points:

- :func:`compute_metrics` — one replication's record tables → ``{metric: float}``;
- :func:`metric_notes` — the reason in words for each NaN (or censored) metric;
- :func:`headline_words` — the headline incident's recovery in one sentence;
- :func:`incidents` — the run's faults grouped into incidents, each with its timeline;
- :func:`summarise` — per-replication dicts → mean, 95 % CI and values per metric;
- :func:`paired_difference` — design A − design B over common-random-number pairs;
- :func:`timeline`, :func:`signin_success_by_minute`, :func:`lockout_bypass_windows`,
  :func:`exposure_windows` — tables for charts and ``timeline.csv``.
"""

from drsim.metrics.availability import signin_success_by_minute, timeline
from drsim.metrics.compute import compute_metrics
from drsim.metrics.exposure import exposure_windows
from drsim.metrics.facts import RunFacts, run_facts
from drsim.metrics.headline import headline_words
from drsim.metrics.incidents import Incident, headline_facts, headline_incident, incidents
from drsim.metrics.lockout import lockout_bypass_windows, reachable_regions
from drsim.metrics.notes import metric_notes
from drsim.metrics.summary import mean_ci, paired_difference, summarise

__all__ = [
    "Incident",
    "RunFacts",
    "compute_metrics",
    "exposure_windows",
    "headline_facts",
    "headline_incident",
    "headline_words",
    "incidents",
    "lockout_bypass_windows",
    "mean_ci",
    "metric_notes",
    "paired_difference",
    "reachable_regions",
    "run_facts",
    "signin_success_by_minute",
    "summarise",
    "timeline",
]
