"""RPO: writes stuck at promotion by kind, their time span, writes lost, failback conflicts."""

from drsim.metrics.rpo import rpo_metrics


def test_stuck_writes_by_kind_and_span(make_records):
    rec = make_records(
        writes=[
            # one sign-up shipped to two regions, stuck at both: one write at risk
            {
                "write_id": 1,
                "kind": "user",
                "time_s": 100,
                "target": "r2",
                "stuck": True,
                "lost": True,
            },
            {
                "write_id": 1,
                "kind": "user",
                "time_s": 100,
                "target": "r3",
                "stuck": True,
                "lost": True,
            },
            {"write_id": 2, "kind": "credential", "time_s": 130, "stuck": True, "lost": True},
            # stuck, then reconciled at failback (not lost), and overwritten: a conflict
            {
                "write_id": 3,
                "kind": "profile",
                "time_s": 160,
                "stuck": True,
                "applied_s": 900,
                "conflict": True,
            },
            {"write_id": 4, "kind": "profile", "time_s": 170, "applied_s": 171},
            {
                "write_id": 5,
                "kind": "credential",
                "time_s": 310,
                "stuck": True,
                "applied_s": 900,
                "conflict": True,
            },
        ]
    )
    m = rpo_metrics(rec.writes)
    assert m["rpo_lost_writes"] == 4
    assert m["rpo_lost_writes.user"] == 1
    assert m["rpo_lost_writes.credential"] == 2
    assert m["rpo_lost_writes.profile"] == 1
    assert m["rpo_lost_writes.revocation"] == 0
    assert m["rpo_lost_writes.disable"] == 0
    assert m["rpo_span_s"] == 210.0
    assert m["writes_lost"] == 2
    assert m["writes_lost.user"] == 1
    assert m["writes_lost.credential"] == 1
    assert m["writes_lost.profile"] == 0
    assert m["failback_conflicts"] == 2
    assert m["failback_conflicts.profile"] == 1
    assert m["failback_conflicts.credential"] == 1


def test_one_stuck_write_spans_zero_and_none_is_zero(make_records):
    one = make_records(writes=[{"write_id": 9, "kind": "profile", "time_s": 42, "stuck": True}])
    m = rpo_metrics(one.writes)
    assert m["rpo_lost_writes"] == 1
    assert m["rpo_span_s"] == 0.0
    m = rpo_metrics(make_records(writes=[{"write_id": 1, "applied_s": 1.0}]).writes)
    assert m["rpo_lost_writes"] == 0
    assert m["rpo_span_s"] == 0.0
    assert m["writes_lost"] == 0
    assert m["failback_conflicts"] == 0


def test_tables_without_stuck_column_use_lost(make_records):
    writes = make_records(
        writes=[
            {"write_id": 1, "kind": "user", "time_s": 5, "lost": True},
            {"write_id": 2, "kind": "profile", "time_s": 8, "lost": True},
        ]
    ).writes.drop(columns=["stuck"])
    m = rpo_metrics(writes)
    assert m["rpo_lost_writes"] == 2
    assert m["rpo_span_s"] == 3.0
