"""Readings: the one-line sentences of the headline metrics, from known estimates."""

from __future__ import annotations

from drsim.report.compare_readings import compare_readings
from drsim.report.formatting import fmt_estimate, fmt_seconds, fmt_share, fmt_signed, fmt_value
from drsim.report.readings import (
    SignInShares,
    corruption_text,
    failed_logins_text,
    lockout_text,
    rpo_text,
    rto_text,
)


def est(mean, lo=None, hi=None):
    return {"mean": mean, "ci95": [lo, hi]}


def test_number_style():
    assert fmt_value(1240, "count") == "1,240"
    assert fmt_value(0.335, "count") == "0.34"
    assert fmt_value(-1.25, "count") == "−1.2"
    assert fmt_value(0.9048, "pct") == "90.48 %"
    assert fmt_value(11782.07, "usd") == "$11,782" and fmt_value(23.9, "usd") == "$23.90"
    assert [fmt_seconds(x) for x in (0.25, 45.0, 83.46, 1920.0, 7200.0, 86400 * 5)] == [
        "250 ms", "45 s", "83.5 s", "32 min", "2 h", "5 d"]
    assert fmt_value(None, "s") == "–" and fmt_value(float("nan"), "count") == "–"
    assert fmt_signed(-478.0, "count") == "−478" and fmt_signed(0, "s") == "±0"
    assert fmt_share(7, 10) == "70 %" and fmt_share(1, 1000) == "<1 %" and fmt_share(1, 0) == "–"
    assert fmt_estimate(est(1240, 1180, 1300), "count") == "1,240 (95 % CI 1,180–1,300)"
    assert fmt_estimate(est(1240, 1180, 1300), "count", compact=True) == "1,240 (1,180–1,300)"
    assert fmt_estimate(est(0.33, -1.1, 1.8), "count") == "0.33 (95 % CI −1.1 to 1.8)"
    assert fmt_estimate(est(5.0, 5.0, 5.0), "count") == "5"  # no width: no interval


def test_failed_logins_reading_with_dns_shares():
    metrics = {"failed_logins": est(1240, 1180, 1300), "failed_logins.region_down": est(868),
               "failed_logins.mfa_unsupported": est(372)}
    shares = SignInShares(failed=2480, to_failed_region=1736, before_flip=496, cached=1240,
                          failed_region="us-east-1", flipped=True, replications=2)
    assert failed_logins_text(metrics, shares, "us-east-1") == (
        "1,240 sign-ins failed (95 % CI 1,180–1,300), 70 % while DNS still pointed at the "
        "failed region us-east-1 (20 % before the record flipped, 50 % from answers cached "
        "after it); main cause region down (70 %).")


def test_failed_logins_reading_without_records_uses_the_region_split():
    metrics = {"failed_logins": est(200), "failed_logins_by_region.us-east-1": est(150)}
    assert failed_logins_text(metrics, None, "us-east-1") == (
        "200 sign-ins failed, 75 % of them sent to the failed region us-east-1.")


def test_rto_rpo_and_lockout_readings():
    m = {"rto_s": est(1920.0, 1800.0, 2040.0), "detection_s": est(83.46),
         "decision_s": est(0.0), "promotion_s": est(30.0), "dns_convergence_s": est(1716.5),
         "rto_recovered": est(0.5)}
    assert rto_text(m) == (
        "Sign-in success was back to 99 % of its pre-fault level 32 min after the fault "
        "started (95 % CI 30 min–34 min): detection 83.5 s, decision 0 s, promotion 30 s, DNS "
        "convergence 28.6 min. In 50 % of replications sign-ins had not recovered by the end "
        "of the run (RTO censored at the run's end).")
    assert rto_text({"rto_s": est(None)}) == "No fault, so no recovery to time."
    rpo = {"rpo_lost_writes": est(5.0), "rpo_lost_writes.profile": est(3.0),
           "rpo_lost_writes.revocation": est(2.0), "rpo_span_s": est(3.5),
           "writes_lost": est(5.0)}
    assert rpo_text(rpo) == (
        "5 acknowledged writes had not reached the promoted region at promotion (3 profile "
        "updates, 2 revocations), spanning 3.5 s of writes.")
    assert rpo_text({"rpo_lost_writes": est(0.0)}).startswith("No acknowledged write")
    lock = {"lockout_extra_guesses": est(335.0), "lockout_extra_guesses_per_account": est(0.335),
            "lockout_bypass_windows": est(4987.0), "lockout_bypass_max_s": est(900.0),
            "accounts_compromised": est(0.0), "accounts_compromised_total": est(19.3)}
    assert lockout_text(lock) == (
        "335 extra password guesses beyond what one global lockout counter allows (0.34 per "
        "targeted account); 4,987 bypass windows, longest 15 min; 0 accounts compromised "
        "beyond what a shared (global) counter would have allowed (of 19.3 compromised in "
        "all).")


def test_compare_readings_name_each_design_against_the_baseline():
    diffs = {"b": {"failed_logins": {"mean": -478.0, "ci95": [-623.0, -333.0],
                                     "significant": True},
                   "rto_s": {"mean": -20.0, "ci95": [-106.0, 66.0], "significant": False}}}
    assert compare_readings(["a", "b"], "a", diffs) == [
        "b against a: failed sign-ins −478 (95 % CI −623 to −333); RTO −20 s (95 % CI −106 s "
        "to +66 s) (not significant)."]


def test_stale_reads_by_cause_read_your_writes_and_users_who_failed_readings():
    from drsim.report.readings import run_readings

    m = {"stale_reads": est(673.0), "stale_read_fraction": est(0.0068),
         "staleness_p50_s": est(0.57), "staleness_p99_s": est(6.4), "staleness_max_s": est(1841.0),
         "stale_reads.replication_lag": est(666.0), "stale_reads.lost_at_promotion": est(7.0),
         "stale_reads.other": est(0.0),
         "staleness_p50_s.replication_lag": est(0.56), "staleness_p90_s.replication_lag": est(1.93),
         "staleness_p99_s.replication_lag": est(4.14), "staleness_p50_s.lost_at_promotion":
         est(714.0), "staleness_p90_s.lost_at_promotion": est(None),
         "read_your_writes_violations": est(661.0), "read_your_writes_read_backs": est(5169.0),
         "read_your_writes_violation_share": est(0.1279),
         "users_failed_share": est(0.396, 0.39, 0.40), "users_failed_share.east-pinned": est(0.95),
         "users_failed_share.west-honour": est(0.20), "users_failed_share.east-honour": est(0.57),
         "users_failed_share.west-jvm": est(0.21),
         "users_failed_share.home.us-east-1": est(0.58),
         "users_failed_share.home.eu-west-1": est(0.21)}
    readings = {r.metric: r for r in run_readings(m)}
    assert readings["stale_reads"].text.endswith(
        "By cause: replication lag 666 (p50 560 ms, p90 1.9 s, p99 4.1 s); lost at promotion 7 "
        "(p50 11.9 min). 99 % of stale reads came from replication lag in normal operation, "
        "1 % from transitions (lost at promotion, failback backlog). 661 of 5,169 reads right "
        "after the user's own update (12.79 %) missed it.")
    users = readings["users_failed_share"]
    assert users.label == "Users who could not complete a request"
    assert users.text == (
        "39.60 % of active users could not complete what they came to do (95 % CI "
        "39.00 %–40.00 %) (a request whose last attempt failed, from the fault to the end of "
        "the run); hardest hit: east-pinned 95.00 %, east-honour 57.00 %, west-jvm 21.00 %; by "
        "home region: us-east-1 58.00 %, eu-west-1 21.00 %.")


def test_corruption_reading():
    metrics = {"corrupted_users": est(1000), "corruption_replicated_s": est(25.0),
               "corruption_exposure_s": est(2880.0, 2500.0, 3300.0),
               "corruption_recovered": est(1.0), "corrupt_reads": est(2800),
               "corrupt_reads_by_region.us-east-1": est(2800),
               "corrupt_reads_by_region.eu-west-1": est(0.0),
               "restore_rpo_s": est(1800.0), "writes_lost_by_restore": est(300, 250, 350),
               "users_restored": est(1000)}
    assert corruption_text(metrics) == (
        "A bad write corrupted 1,000 users' profiles; replication copied it to the other "
        "regions within 25 s. Bad data was served for 48 min from the bad write (95 % CI "
        "41.7 min–55 min); 2,800 profile reads returned it (2,800 at us-east-1). The restore "
        "went back 30 min before the bad write on average (the restore's RPO) and "
        "overwrote 300 later writes (95 % CI 250–350) of 1,000 restored users.")
    unrestored = {**metrics, "corrupted_users": est(0.0), "corrupt_reads": est(0.0),
                  "corruption_recovered": est(0.0), "restore_rpo_s": est(None),
                  "failed_logins.misconfigured": est(5000)}
    assert corruption_text(unrestored) == (
        "A bad write corrupted the configuration; replication copied it to the other regions "
        "within 25 s. Bad data was served for 48 min from the bad write (95 % CI 41.7 min–55 "
        "min) (no restore by the end of the run in 100 % of replications: censored); 5,000 "
        "sign-ins failed (misconfigured). No backup to restore from: failing over does not "
        "help either.")
