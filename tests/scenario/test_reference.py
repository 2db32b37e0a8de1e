"""docs/scenarios.md is generated from the schema and must not go stale."""

from __future__ import annotations

from drsim.scenario.fields import allowed_keys
from drsim.scenario.reference import render_reference
from drsim.scenario.schema import Scenario

from .conftest import REPO

DOCS = REPO / "docs" / "scenarios.md"


def test_docs_scenarios_md_is_up_to_date() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_reference(), (
        "docs/scenarios.md is stale: run `make docs` "
        "(python -m drsim.scenario.reference > docs/scenarios.md)"
    )


def test_reference_lists_every_key_with_unit_default_and_range() -> None:
    text = render_reference()
    for key in Scenario.model_fields:
        assert f"| `{key}` |" in text
    assert "| `dns.ttl` | duration | `1m` | > 0s | Record TTL" in text
    assert "| `health_check.failure_threshold` | integer | `3` | 1 – 10 |" in text
    assert "| `users.federated` | percentage | `10%` | 0% – 100% |" in text
    assert "| `regions[].name` | text | *required* |" in text
    assert "### `faults[] (kind: gray_failure)`" in text
    assert "### `distribution: lognormal`" in text


def test_every_section_of_a_document_is_documented() -> None:
    text = render_reference()
    data = {"faults": [{"kind": "partition"}], "clients": [{"dns": {"behaviour": "clamp"}}]}
    for path, prefix in [
        (("faults", 0), "faults[]."),
        (("clients", 0, "dns"), "clients[].dns."),
        (("failover", "manual"), "failover.manual."),
    ]:
        for key in allowed_keys(path, data):
            assert f"| `{prefix}{key}` |" in text


def test_a_sections_own_keys_come_before_the_ones_it_extends() -> None:
    """A fault's kind before the timing every fault shares; a region's vCPUs before the
    shedding keys its capacity inherits; an integer-keyed mapping says so."""
    text = render_reference()
    assert text.index("| `regions[].capacity.vcpus` |") < text.index(
        "| `regions[].capacity.max_wait` |")
    outage = text.index("### `faults[] (kind: region_outage)`")
    assert text.index("| `faults[].kind` | `region_outage`", outage) < text.index(
        "| `faults[].start` |", outage)
    assert "| `sessions.concurrent_calls` | integer or mapping of integer → percentage |" in text
