"""The metric glossary (docs/metrics.md) covers every metric, and is fresh."""

from __future__ import annotations

import json
from pathlib import Path

from drsim.metrics.glossary import CAUSES, GLOSSARY, _pattern, entry_for, markdown
from drsim.records import OUTCOMES

ROOT = Path(__file__).resolve().parents[2]


def _reported_metrics() -> set[str]:
    """Every metric name of the scenario library's golden summaries."""
    names: set[str] = set()
    for golden in (ROOT / "tests" / "golden").glob("*.json"):
        names |= set(json.loads(golden.read_text()))
    return names


def test_every_reported_metric_has_an_entry():
    missing = sorted(n for n in _reported_metrics() if entry_for(n) is None)
    assert missing == []


def test_every_entry_names_a_reported_metric():
    names = _reported_metrics()
    unused = [e.name for e in GLOSSARY if not any(_pattern(e.name).match(n) for n in names)]
    assert unused == []


def test_every_outcome_cause_is_explained():
    assert set(CAUSES) == set(OUTCOMES)


def test_families_match_only_their_members():
    assert entry_for("failed_logins").name == "failed_logins"
    assert entry_for("failed_logins.throttled").name == "failed_logins.<cause>"
    assert entry_for("exposure_revocation_total_s").name == "exposure_<kind>_total_s"
    assert entry_for("failed_logins.a.b") is None


def test_docs_metrics_md_is_fresh():
    """Regenerate with `make docs` when this fails."""
    assert (ROOT / "docs" / "metrics.md").read_text() == markdown()
