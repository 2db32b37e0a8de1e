"""The metric glossary: every metric drsim reports, its unit, definition and known answer.

One entry per metric name or family (``failed_logins.<cause>``); ``python -m
drsim.metrics.glossary`` writes ``docs/metrics.md`` from it (``make docs``), and
a test fails when that file is stale or when a metric the model reports has no
entry here. Definitions say what the number means to a reviewer; the metric
modules' docstrings say how it is computed. *Known answer* names the test or
validation case (``docs/validation.md``) that checks the metric against a value
computed by hand.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from drsim.records import OUTCOMES, WRITE_KINDS


class Entry(NamedTuple):
    """One metric, or a family of metrics (``<cause>``, ``<region>``, ``<kind>``, ``<op>``,
    ``<client>``, ``<q>``)."""

    name: str
    unit: str  # count | fraction | seconds | USD | users
    definition: str
    known_answer: str


_T = "tests/metrics/"
GLOSSARY: tuple[Entry, ...] = (
    # Failed logins and operations (MODEL.md 1–2)
    Entry("failed_logins", "count", "Sign-in and federated sign-in attempts by legitimate "
          "users that did not end ok; every retry is an attempt.",
          f"{_T}test_failures.py; validation 1.8 (rate × (D + T/2))"),
    Entry("failed_logins.<cause>", "count", "Failed sign-in attempts by outcome cause "
          "(the causes are listed below); 0 when a cause did not occur.",
          f"{_T}test_failures.py::test_failed_logins_count_attempts_causes_regions_and_users"),
    Entry("failed_logins_by_region.<region>", "count", "Failed sign-in attempts by the region "
          "that answered (`none`: no DNS answer).", f"{_T}test_failures.py"),
    Entry("failed_login_users", "users", "Distinct users with at least one failed sign-in.",
          f"{_T}test_failures.py"),
    Entry("failed_logins_during_fault", "count", "Failed sign-in attempts within the fault "
          "window; NaN without a fault.", f"{_T}test_failures.py"),
    Entry("failed_login_users_during_fault", "users", "Distinct users who failed a sign-in "
          "within the fault window; NaN without a fault.", f"{_T}test_failures.py"),
    Entry("users_locked_out_of_fault", "users", "Users who failed during the fault window and "
          "never got in during it; NaN without a fault.",
          f"{_T}test_failures.py::test_users_locked_out_of_the_fault_window"),
    Entry("failed_operations", "count", "Failed attempts of sign-ups, profile updates, password "
          "changes, refreshes and sign-outs (e.g. `read_only` during failover).",
          f"{_T}test_failures.py::test_failed_operations_by_operation_and_cause"),
    Entry("failed_operations.<op>", "count", "Failed attempts of one operation.",
          f"{_T}test_failures.py::test_failed_operations_by_operation_and_cause"),
    Entry("failed_operations_by_cause.<cause>", "count", "Failed operation attempts by "
          "outcome cause.", f"{_T}test_failures.py::test_failed_operations_by_operation_and_cause"),
    # Stale reads (MODEL.md 3)
    Entry("stale_reads", "count", "Successful profile reads served by a replica whose version "
          "is older than the newest acknowledged anywhere at that instant.",
          "validation 1.1–1.3, 2.2 (P(lag > d), PBS)"),
    Entry("stale_reads.<cause>", "count", "Stale reads by what happened to the first write "
          "the reader missed: replication_lag (in flight in normal operation), "
          "lost_at_promotion (discarded at a promotion), failback_backlog (taken by the "
          "promoted region and still on its way back to the old primary after failback: "
          "failback.catch_up replicate), other (no record: profiles not replicated, or a "
          "copy replaced the replica).", f"{_T}test_staleness.py::test_stale_reads_by_cause; "
          "tests/model/test_failback_backlog.py"),
    Entry("staleness_<q>_s.<cause>", "seconds", "Staleness age of the stale reads of one "
          "cause (q = p50, p90, p99): lag ages say how far behind a replica runs, "
          "lost-at-promotion ages how long since the promotion. NaN below ⌈1/(1−q)⌉ reads "
          "of that cause, with the reason.",
          f"{_T}test_staleness.py::test_staleness_age_quantiles_by_cause"),
    Entry("read_your_writes_violations", "count", "Read-backs that were stale: a successful "
          "profile read by a user whose previous request (by final attempt) was their own "
          "successful profile update, served without that update.",
          f"{_T}test_people.py::test_read_your_writes_on_a_toy_table; "
          "tests/model/test_people_known_answers.py (P(L > d))"),
    Entry("read_your_writes_read_backs", "count", "Those read-backs, stale or not (the "
          "denominator).", f"{_T}test_people.py::test_read_your_writes_on_a_toy_table"),
    Entry("read_your_writes_violation_share", "fraction", "read_your_writes_violations / "
          "read_your_writes_read_backs; NaN without a read-back.",
          "tests/model/test_people_known_answers.py::test_read_back_violations_are_p_lag_over_d"),
    Entry("profile_reads_ok", "count", "Successful profile reads (the denominator).",
          f"{_T}test_staleness.py"),
    Entry("stale_read_fraction", "fraction", "stale_reads / profile_reads_ok; NaN without a "
          "successful read.", "validation 1.1–1.3"),
    Entry("staleness_p50_s", "seconds", "Median staleness age of stale reads (now − "
          "acknowledgement of the oldest version missed). A q-quantile needs ⌈1/(1−q)⌉ "
          "observations (2 here, 100 for p99): below that it is NaN, with the reason.",
          f"{_T}test_staleness.py::test_stale_reads_fraction_and_quantiles"),
    Entry("staleness_p99_s", "seconds", "99th percentile of the staleness age (needs 100 "
          "stale reads).", f"{_T}test_staleness.py::test_a_p99_needs_a_hundred_stale_reads"),
    Entry("staleness_max_s", "seconds", "Largest staleness age.",
          f"{_T}test_staleness.py::test_stale_reads_fraction_and_quantiles"),
    # Lockout bypass (MODEL.md 4)
    Entry("lockout_extra_guesses", "count", "Attacker guesses the real (per-region) counters "
          "evaluated but a shared global counter would have refused.",
          "validation 1.9 (k·L guesses before the first lock)"),
    Entry("lockout_targeted_accounts", "count", "Distinct accounts an attacker guessed.",
          f"{_T}test_lockout.py"),
    Entry("lockout_extra_guesses_per_account", "count", "Extra guesses per targeted account; "
          "NaN when nothing was guessed.", f"{_T}test_lockout.py"),
    Entry("lockout_bypass_windows", "count", "Maximal intervals during which the shadow global "
          "counter holds an account locked while a region the attacker reaches does not.",
          f"{_T}test_lockout.py::test_union_of_open_regions_makes_one_window"),
    Entry("lockout_bypass_total_s", "seconds", "Total length of the bypass windows.",
          f"{_T}test_lockout.py"),
    Entry("lockout_bypass_max_s", "seconds", "Longest bypass window.", f"{_T}test_lockout.py"),
    Entry("accounts_compromised", "count", "Accounts an attacker guessed right with an extra "
          "guess: compromised beyond what a shared (global) counter would have allowed.",
          f"{_T}test_lockout.py::test_extra_guesses_and_compromised_accounts"),
    Entry("accounts_compromised_total", "count", "Accounts an attacker guessed right at all.",
          f"{_T}test_lockout.py::test_extra_guesses_and_compromised_accounts"),
    # Security exposure (MODEL.md 5)
    Entry("stale_credential_signins", "count", "Sign-ins accepted with a superseded password "
          "(token-replay attacker).", f"{_T}test_exposure.py::test_accepted_replays_are_counted"),
    Entry("revoked_token_accepts", "count", "Refresh tokens accepted after their revocation.",
          f"{_T}test_exposure.py::test_accepted_replays_are_counted"),
    Entry("disabled_user_signins", "count", "Sign-ins of users after they were disabled.",
          f"{_T}test_exposure.py::test_accepted_replays_are_counted"),
    Entry("exposure_<kind>_windows", "count", "Security writes (credential change, "
          "revocation, disable) with a window during which some region still honoured the "
          "old state.",
          f"{_T}test_exposure.py::test_exposure_window_per_write_until_last_region_applies"),
    Entry("exposure_<kind>_total_s", "seconds", "Total length of those windows.",
          f"{_T}test_exposure.py"),
    Entry("exposure_<kind>_max_s", "seconds", "Longest such window.", f"{_T}test_exposure.py"),
    Entry("exposure_<kind>_censored", "count", "Windows still open when the run ended: their "
          "length is a lower bound.", f"{_T}test_exposure.py"),
    Entry("exposure_<kind>_censored_share", "fraction", "Censored windows / windows; NaN "
          "without windows.", f"{_T}test_exposure.py"),
    # Sessions (MODEL.md 6)
    Entry("sessions_disrupted", "users", "Users holding a valid session whose refresh was "
          "refused for a reason other than expiry: forced to sign in again.",
          f"{_T}test_sessions.py::test_refused_refreshes_disrupt_distinct_users"),
    Entry("sessions_disrupted_refreshes", "count", "The refused refresh attempts.",
          f"{_T}test_sessions.py"),
    Entry("forced_reauthentications", "count", "Interactive sign-ins forced by a refresh the "
          "region refused for good (sessions.on_refused_refresh: sign_in): forced by the "
          "design (tokens not accepted across regions) or the fault (user not replicated).",
          "tests/model/test_journeys.py::test_a_refused_refresh_forces_an_interactive_sign_in"),
    # People (issue #14)
    Entry("active_users", "users", "Users with a request of their own (not admin_disable or "
          "m2m_token) from the headline incident's first fault to the end of the run; the "
          "whole run without a fault.", f"{_T}test_people.py::test_users_failed_on_a_toy_table"),
    Entry("users_failed", "users", "Active users with at least one request in that window "
          "whose final attempt failed (after the client's retries; a forced sign-in "
          "continues a refused refresh; a sign-in refused by an attacker's lockout counts).",
          f"{_T}test_people.py::test_users_failed_on_a_toy_table"),
    Entry("users_failed_share", "fraction", "users_failed / active_users: the share of "
          "active users who could not complete what they came to do; NaN without an active "
          "user.", "tests/model/test_people_known_answers.py::"
          "test_a_pinned_population_fails_and_a_local_one_does_not"),
    Entry("users_failed_share.<client>", "fraction", "The same among the active users of one "
          "population (clients[].name).",
          "tests/model/test_people_known_answers.py::"
          "test_a_pinned_population_fails_and_a_local_one_does_not"),
    Entry("users_failed_share.home.<region>", "fraction", "The same among the active users "
          "homed in a region (clients[].home; the first region when unset).",
          "tests/model/test_people_known_answers.py::"
          "test_a_pinned_population_fails_and_a_local_one_does_not"),
    # RPO (MODEL.md 7)
    Entry("rpo_lost_writes", "count", "Writes acknowledged by the old primary but not applied "
          "at the promoted region at promotion (the RPO).",
          "validation 1.5 (Little's law), 1.6"),
    Entry("rpo_lost_writes.<kind>", "count", "The same by kind: user (sign-ups), credential, "
          "profile, revocation, disable.", f"{_T}test_rpo.py::test_stuck_writes_by_kind_and_span"),
    Entry("rpo_span_s", "seconds", "Time between the first and last acknowledgement among "
          "the lost writes.", f"{_T}test_rpo.py::test_stuck_writes_by_kind_and_span"),
    Entry("writes_lost", "count", "Writes discarded for good (fewer than the RPO when "
          "failback reconciles).", f"{_T}test_rpo.py"),
    Entry("writes_lost.<kind>", "count", "The same by kind.", f"{_T}test_rpo.py"),
    Entry("failback_conflicts", "count", "Reconciled writes found overwritten by a newer one "
          "at failback (per write and region).", f"{_T}test_rpo.py"),
    Entry("failback_conflicts.<kind>", "count", "The same by kind.", f"{_T}test_rpo.py"),
    # RTO (MODEL.md 8)
    Entry("rto_s", "seconds", "From the fault start until the per-minute sign-in success rate "
          "is back to ≥ run.rto_threshold × its pre-fault baseline and stays there; the run's "
          "length when it never recovers.",
          f"{_T}test_recovery.py::test_rto_ends_with_the_last_bad_minute"),
    Entry("rto_recovered", "fraction", "1 when sign-ins recovered before the run ended, 0 when "
          "rto_s is censored at the run's end.",
          f"{_T}test_recovery.py::test_rto_never_recovered_is_censored_at_run_end"),
    Entry("rto_<level>_s", "seconds", "The recovery curve: from the fault until sign-in "
          "success is back to ≥ level % of its baseline and stays there (run.rto_levels; "
          "windows with fewer than run.min_attempts_per_window attempts are unknown, never "
          "good).", f"{_T}test_recovery.py; {_T}test_headline.py"),
    Entry("rto_<level>_recovered", "fraction", "1 when that level was reached before the "
          "observation ended, 0 when censored.", f"{_T}test_recovery.py"),
    Entry("failovers", "count", "Failovers in the run: promotions started (peers: sites "
          "fenced). failover.max_failovers_per_hour caps them per hour.",
          "tests/model/test_flapping.py"),
    Entry("failbacks", "count", "Failbacks in the run: the old primary took writes again "
          "(peers: a site rejoined). failover.failback.min_healthy holds them back.",
          "tests/model/test_flapping.py"),
    Entry("oscillations", "count", "Round trips: failbacks that follow a failover; a "
          "flapping primary without hysteresis makes one per detected outage.",
          "tests/model/test_flapping.py::test_without_hysteresis_every_outage_is_a_round_trip"),
    Entry("promotion_read_only_s", "seconds", "The cost of the failovers in time: summed "
          "from each promotion's start until the promoted region takes writes (its writes "
          "at risk are rpo_writes).", "tests/model/test_flapping.py"),
    # Split brain (failover.detector heartbeat or arbiter only)
    Entry("split_brain_s", "seconds", "Time with two regions taking writes at once (writable "
          "and up): a self-promoting secondary that could not demote the old primary, no "
          "fencing. 0 with fencing.",
          "tests/model/test_splitbrain.py::test_without_fencing_split_brain_is_the_measured_overlap"),
    Entry("incident.<n>.split_brain_s", "seconds", "Time with two writers within incident "
          "n's span (its first fault to the next incident's start).", f"{_T}test_splitbrain.py"),
    Entry("split_brain_recovered", "fraction", "1 when one region alone took writes again "
          "before the run ended, 0 when a split was still open (split_brain_s censored, its "
          "conflicts not reconciled).", f"{_T}test_splitbrain.py"),
    Entry("split_brains", "count", "Windows with two writers.", f"{_T}test_splitbrain.py"),
    Entry("split_brain_max_s", "seconds", "The longest window with two writers.",
          f"{_T}test_splitbrain.py"),
    Entry("split_writes", "count", "Writes acknowledged (by either region) while two regions "
          "took writes.", f"{_T}test_splitbrain.py"),
    Entry("conflicting_writes", "count", "Of the split writes, those of a password or profile "
          "written on both sides during the split; reconciled at failback "
          "(failover.reconciliation).",
          "tests/model/test_splitbrain.py::test_conflicting_users_follow_the_closed_form"),
    Entry("conflicting_users", "users", "Users with a password or profile written on both "
          "sides during a split: N·g(D) for Poisson writers whose DNS moves U[0, T) into a "
          "split of length D.",
          "tests/model/test_splitbrain.py::test_conflicting_users_follow_the_closed_form"),
    Entry("reconciled_writes_kept", "count", "Conflicting writes on the side reconciliation "
          "kept (last_writer_wins: the side of the item's last write; primary_wins: the old "
          "primary's).",
          "tests/model/test_splitbrain.py::test_last_writer_wins_keeps_each_users_last_write"),
    Entry("reconciled_writes_lost", "count", "Conflicting writes on the other side: "
          "acknowledged, then discarded by reconciliation (not in writes_lost).",
          "tests/model/test_splitbrain.py::test_last_writer_wins_keeps_each_users_last_write"),
    Entry("incidents", "count", "Incidents in the run: faults whose windows overlap or touch "
          "form one.", f"{_T}test_incidents.py::test_faults_that_overlap_or_touch_form_one_incident"),
    Entry("headline_incident", "count", "Which incident the unprefixed recovery metrics "
          "describe: the first that made the primary unhealthy.",
          f"{_T}test_incidents.py::test_headline_is_the_first_incident_that_made_the_primary_unhealthy"),
    Entry("incident.<n>.start_s", "seconds", "When incident n's first fault started.",
          f"{_T}test_incidents.py"),
    Entry("incident.<n>.end_s", "seconds", "When its last fault ended (the run's end if later).",
          f"{_T}test_incidents.py"),
    Entry("incident.<n>.anchor_s", "seconds", "The start of the fault that made the endpoint "
          "unhealthy: what incident n's durations are measured from.",
          f"{_T}test_incidents.py::test_compound_fault_is_measured_from_the_outage_not_the_partition"),
    Entry("incident.<n>.faults", "count", "Faults grouped into incident n.",
          f"{_T}test_incidents.py"),
    Entry("incident.<n>.rpo_writes", "count", "Writes stuck at incident n's promotion.",
          f"{_T}test_incidents.py::test_writes_stuck_at_a_promotion_belong_to_its_incident"),
    Entry("incident.<n>.<metric>", "as <metric>", "The unprefixed metric, for incident n, "
          "measured from its anchor.",
          f"{_T}test_incidents.py::test_two_faults_give_two_incidents_with_their_own_times"),
    Entry("time_to_failback_s", "seconds", "From the anchor to failback; NaN without one.",
          f"{_T}test_users.py"),
    Entry("affected_users", "users", "Legitimate users with a failed sign-in during the "
          "incident.", f"{_T}test_users.py"),
    Entry("sign_in_users_after_fault", "users", "Users who tried to sign in from the anchor "
          "until failback (the denominator of the never-recovered shares).",
          f"{_T}test_users.py"),
    Entry("time_to_first_success_p50_s", "seconds", "Median time from the anchor to an "
          "affected user's first success (users who never succeed count as infinite).",
          f"{_T}test_users.py::test_time_to_first_success_counts_from_the_fault_for_users_who_failed"),
    Entry("time_to_first_success_p90_s", "seconds", "Its 90th percentile (nearest rank; "
          "needs 10 affected users).",
          f"{_T}test_users.py::test_nearest_rank"),
    Entry("never_recovered_users", "users", "Users with no success before failback who still "
          "failed after sign-ins were restored (e.g. TOTP users on a secondary without TOTP).",
          f"{_T}test_users.py::test_never_recovered_stops_at_failback"),
    Entry("never_recovered_users.<cause>", "users", "The same by the cause of the user's last "
          "failure.", f"{_T}test_users.py"),
    Entry("detection_s", "seconds", "From the fault start to the unhealthy verdict.",
          "validation 1.7 (uniform on [(k−1)I, kI])"),
    Entry("decision_s", "seconds", "From detection to the start of promotion.",
          f"{_T}test_recovery.py::test_parts_from_meta"),
    Entry("promotion_s", "seconds", "From the start of promotion until the region takes "
          "writes.", f"{_T}test_recovery.py::test_parts_from_meta"),
    Entry("dns_convergence_s", "seconds", "From the DNS flip until ≥ run.dns_converged of "
          "legitimate traffic reaches the new region, and stays so.",
          f"{_T}test_recovery.py::test_dns_convergence_is_the_end_of_the_last_unconverged_bucket"),
    Entry("dns_converged", "fraction", "1 when that share was reached before the fault ended, "
          "0 when dns_convergence_s is censored (clients that never re-resolve).",
          f"{_T}test_recovery.py::test_dns_never_converged_is_censored_and_no_flip_is_undefined"),
    Entry("dns_share_moved_60s", "fraction", "Share of legitimate traffic on the new region "
          "60 s after the flip.", "validation 3.1 (Flavel et al. 2014)"),
    # Availability and traffic (MODEL.md 9)
    Entry("availability", "fraction", "Share of legitimate sign-in attempts that succeeded "
          "over the run.", "validation 1.11"),
    Entry("availability_during_fault", "fraction", "The same within the fault window; NaN "
          "without a fault.", f"{_T}test_availability.py"),
    Entry("requests_total", "count", "Legitimate request attempts.",
          "validation 1.10 (Poisson counts)"),
    Entry("attack_requests_total", "count", "Attackers' requests.", f"{_T}test_availability.py"),
    Entry("sign_ins_total", "count", "Legitimate sign-in attempts.", f"{_T}test_availability.py"),
    # Cost (MODEL.md 10)
    Entry("monthly_active_users", "users", "Users active in a month, from the population and "
          "the sign-ups.", f"{_T}test_cost.py"),
    Entry("cost_replication_per_month_usd", "USD", "MAU × replica price × (regions − 1).",
          f"{_T}test_cost.py::test_cost_with_one_replica"),
    Entry("cost_baseline_per_month_usd", "USD", "MAU × baseline price.", f"{_T}test_cost.py"),
    Entry("cost_m2m_per_month_usd", "USD", "Machine-to-machine tokens per month / 1000 × "
          "price, with the replication surcharge.", f"{_T}test_cost.py"),
    Entry("cost_m2m_surcharge_per_month_usd", "USD", "The replication surcharge on M2M tokens.",
          f"{_T}test_cost.py"),
    Entry("cost_per_month_usd", "USD", "Replication + baseline + M2M.", f"{_T}test_cost.py"),
    # Overload (MODEL.md 11): only when the scenario models capacity or client timeouts;
    # the per-minute series is drsim.metrics.overload.overload_timeline.
    Entry("timeouts", "count", "Legitimate attempts whose client gave up waiting "
          "(`clients[].timeout`); the region did their work anyway, unless its "
          "`capacity.discipline` is `drop_expired`.",
          "tests/model/test_overload_metrics.py; tests/model/test_overload.py::"
          "test_fifo_timeouts_do_abandoned_work_and_goodput_collapses"),
    Entry("attempts_per_first_attempt", "ratio", "Retry amplification: legitimate attempts ÷ "
          "legitimate first attempts (1: nothing retried).", "tests/model/test_overload.py::"
          "test_retry_amplification_is_one_minus_p_to_the_n_over_one_minus_p ((1 − pⁿ)/(1 − p))"),
    Entry("latency_p50_s", "seconds", "Median latency of legitimate attempts that reached a "
          "region: the operation's own, the region's added latency, the wait and service at "
          "its queue (a timed-out attempt: the timeout).",
          "tests/model/test_overload.py::test_md1_mean_wait_is_pollaczek_khinchine"),
    Entry("latency_p99_s", "seconds", "Its 99th percentile.",
          "tests/model/test_overload_metrics.py"),
    Entry("shed_attempts", "count", "Legitimate attempts a region's admission control "
          "refused at once (`capacity.max_wait`, `admission`): the wait ahead exceeded the "
          "bound of the request's category; or that a `drop_oldest` queue pushed out, "
          "waiting, for a newer one (`capacity.max_queue`). Only when a region sheds.",
          "tests/model/test_shedding.py::test_drop_tail_blocking_is_md1k; tests/model/"
          "test_lifo.py::test_drop_oldest_sheds_md1k_blocking_and_matches_drop_tail_count_"
          "for_count"),
    Entry("overloaded_minutes.<region>", "count", "Minutes in which the work offered to a "
          "region with a capacity (entered, shed or skipped by its queue, or lost with it when "
          "the region went down) exceeded it "
          "(utilisation > 1: its backlog grew, or it shed); the work at its cold cost, the "
          "capacity after any scale-up.",
          "tests/model/test_overload_metrics.py::"
          "test_timeline_of_a_region_offered_twice_its_capacity; tests/model/"
          "test_coldstart.py::test_overloaded_minutes_follow_the_scale_up_and_the_warm_up; "
          "tests/model/test_lifo.py::test_the_work_a_queue_lost_when_its_region_went_down_"
          "was_offered_to_it"),
    Entry("overload_sustained_s", "seconds", "The sustaining effect (metastability): how long "
          "overload outlives its trigger (the later of the headline incident's last fault end "
          "and the last traffic burst's end). Minutes aligned on the trigger's end; a region's "
          "minute is overloaded when the work offered to its queue (entered, shed, skipped or "
          "lost when the region went down) "
          "reaches its capacity (utilisation ≥ 1) "
          "or their median queue wait reaches the shortest client timeout. The longest, over "
          "the regions with a capacity, from the trigger's end to the first minute not "
          "overloaded after the last overloaded one (0: none); censored at the run's end when "
          "the run ends overloaded. NaN without a trigger or a capacity.",
          "tests/model/test_metastable.py::test_without_retries_the_backlog_drains_at_one_minus_rho "
          "((W0 − T)/(1 − ρ))"),
    Entry("overload_end_state", "fraction", "1 when a region with a capacity is still overloaded "
          "in the run's last minute (the bad, metastable state; overload_sustained_s is then "
          "censored), 0 when every region recovered.",
          "tests/model/test_metastable.py::"
          "test_retries_without_backoff_keep_the_region_overloaded_after_the_trigger"),
    # Relying parties (issue #18): only with a relying_parties section.
    Entry("relying_party_rejections", "count", "API calls rejected by a relying party although "
          "the token was valid (issued by the pool, not expired, signed by a key not retired), "
          "all causes; each call counted once, by the first check that fails.",
          "tests/model/test_relying_parties.py::"
          "test_rotation_rejects_lambda_r_c_squared_over_six_calls (λ r C²/6)"),
    Entry("relying_party_rejections.<cause>", "count", "By cause: `unknown_key` (the cached "
          "key set lacks the valid signing key), `issuer` (the relying party does not accept "
          "the issuing region's issuer), `clock_skew` (the issuing region's clock put the "
          "token's issued-at or expiry beyond the leeway).",
          "tests/model/test_relying_parties.py (clock skew: λ · tokens · (Δ − leeway))"),
    Entry("relying_party_rejection_s", "seconds", "Time a relying party spends rejecting a "
          "valid signing key (whatever calls it gets), averaged over relying parties; issuer "
          "and clock-skew rejections depend on the token, not the time, and are not in it.",
          "tests/model/test_relying_parties.py::"
          "test_rotation_rejects_each_relying_party_uniformly_on_zero_to_the_ttl (U[0, C])"),
    Entry("relying_party_rejection_max_s", "seconds", "The longest of those times: the "
          "incident's tail at the slowest cache (censored at the run's end).",
          "tests/model/test_relying_parties.py::"
          "test_refresh_on_unknown_key_is_bounded_by_the_refetch_rate_limit"),
    # Dependencies (issue 18): senders, triggers, the failover's control plane
    Entry("dependency_failures.<name>", "count", "Attempts by legitimate users refused by "
          "one dependency (`dependencies[].name`): down (its host region out, or a "
          "`dependency_outage`) or over its capacity; only with a dependencies section.",
          "tests/model/test_dependencies.py (rate × share × outage; min(offered, capacity))"),
    Entry("failover_blocked_s", "seconds", "Time failovers waited for their control plane "
          "(`failover.control_plane`) to be back, or for `break_glass_after`; 0 when it was "
          "up; only with a control plane.",
          "tests/model/test_dependencies.py (RTO = max(operator, control-plane return) + "
          "runbook)"),
    Entry("relying_party_rejected_share", "fraction", "Rejected calls ÷ the expected API "
          "calls with a live token; NaN without a token in the run.",
          "tests/model/test_relying_parties.py"),
    # Replicated corruption and restores from backups (issue 18)
    Entry("corrupted_users", "users", "Users whose profile a corruption fault's bad write "
          "overwrote (share × population; 0 for a configuration, or a refused write).",
          "tests/model/test_corruption.py::test_bad_rows_reach_each_region_at_their_apply_time"),
    Entry("corrupt_reads", "count", "Legitimate profile reads that served a corrupted profile "
          "(outcome `corrupt`: a failure of what the user came for).",
          "tests/model/test_corruption.py::test_corrupt_reads_are_read_rate_share_and_exposure "
          "(λ × share × exposure)"),
    Entry("corrupt_reads_by_region.<region>", "count", "The same by the region that served "
          "them: a failed-over secondary serves them too.",
          "tests/model/test_corruption.py::test_failing_over_does_not_stop_corrupt_reads"),
    Entry("corruption_affected_users", "users", "Distinct legitimate users with a `corrupt` "
          "read or a `misconfigured` sign-in.",
          "tests/model/test_corruption.py::test_configuration_fails_sign_ins_where_it_arrived"),
    Entry("corruption_replicated_s", "seconds", "From the bad write to its last arrival at "
          "another region (replication copies it like any write); NaN if it reached none.",
          "tests/model/test_corruption.py::test_bad_rows_reach_each_region_at_their_apply_time"),
    Entry("corruption_detection_s", "seconds", "From the bad write to an operator noticing "
          "it (`detected_after`).",
          "tests/model/test_corruption.py::test_corrupt_reads_are_read_rate_share_and_exposure"),
    Entry("corruption_recovered", "fraction", "1 when the restore was written back within the run.",
          "tests/model/test_corruption.py::test_corrupt_reads_are_read_rate_share_and_exposure"),
    Entry("corruption_exposure_s", "seconds", "From the bad write to the restore written back "
          "at the region taking writes (detection + restore time); censored at the run's end "
          "without a restore.",
          "tests/model/test_corruption.py::test_corrupt_reads_are_read_rate_share_and_exposure"),
    Entry("restore_rpo_s", "seconds", "The restore's RPO: the bad write − the last snapshot "
          "before it; uniform on [0, interval) over the snapshot schedule's phase. NaN "
          "without backups.",
          "tests/model/test_corruption.py::test_restore_rpo_is_uniform_on_zero_to_the_interval "
          "(mean I/2)"),
    Entry("users_restored", "users", "Users whose profile the restore wrote back (the "
          "corrupted ones, or everyone written since the snapshot with `restore: everything`).",
          "tests/model/test_corruption.py::test_everything_restore_loses_the_updates_since_"
          "the_snapshot"),
    Entry("writes_lost_by_restore", "count", "Profile writes of the restored users "
          "acknowledged between the snapshot and the restore (the bad write aside): applied, "
          "then overwritten by the restore. With `everything`: update rate × (restore − "
          "snapshot).",
          "tests/model/test_corruption.py::test_everything_restore_loses_the_updates_since_"
          "the_snapshot; ::test_every_acknowledged_write_is_applied_lost_or_restored_over"),
)

CAUSES: dict[str, str] = {
    "ok": "served",
    "region_down": "the region the client reached is down, or went down while the request "
                   "waited in its queue",
    "region_error": "a degraded region (gray failure) failed the request",
    "read_only": "a write reached a region that does not take writes (passive, promoting)",
    "user_not_found": "the region does not hold the user (not replicated yet, or lost)",
    "federated_user_unseen": "a federated user who never signed in at the primary, at a "
                             "secondary that only serves federated users the primary has seen "
                             "(not data loss)",
    "stale_credential": "the region holds a superseded password",
    "password_reset_required": "the user was imported without a password hash",
    "mfa_unsupported": "the user's MFA kind does not work in a secondary region",
    "locked_out": "the region's lockout counter has the account locked",
    "wrong_password": "an attacker's guess was wrong",
    "throttled": "the region's request quota was exhausted",
    "token_rejected": "a token from another region, revoked, or an issuer pinned elsewhere",
    "idp_unavailable": "the external identity provider is down",
    "kms_unavailable": "the region's KMS key is unavailable",
    "dns_unavailable": "the client's resolver could not answer (DNS outage, no serve-stale)",
    "sync_unavailable": "a synchronous write could not reach its peer",
    "user_disabled": "the user is disabled in the serving region",
    "timeout": "the client gave up waiting for a region's queue (`clients[].timeout`); the "
               "region did the work anyway (unless `capacity.discipline: drop_expired`, or "
               "`drop_oldest` pushed it out first)",
    "shed": "the region's admission control refused the request at once: its queue was "
            "longer than the request's priority admits (`capacity.max_wait`, `admission`); "
            "or a `drop_oldest` queue pushed it out, waiting, for a newer one",
    "dependency_down": "a dependency the request needs (an SMS/email sender, a trigger: "
                       "`dependencies`) is down — its host region is down, or a "
                       "`dependency_outage` fault",
    "dependency_throttled": "a dependency the request needs is over its `capacity`",
    "circuit_open": "the client kind's circuit breaker was open: the attempt failed fast in "
                    "the client and reached no region (`clients[].circuit_breaker`)",
    "corrupt": "a profile read served data a corruption fault overwrote (until restored)",
    "misconfigured": "a sign-in at a region whose pool configuration a corruption fault broke "
                     "(until restored)",
}
"""Every outcome cause, in words (``<cause>`` in the names above)."""


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"<[a-z]+>", r"[^.]+", re.escape(name).replace(
        r"\<", "<").replace(r"\>", ">")) + "$")


_PATTERNS = [(_pattern(entry.name), entry) for entry in GLOSSARY]


def entry_for(metric: str) -> Entry | None:
    """The glossary entry of a metric name (``failed_logins.throttled`` → its family)."""
    for pattern, entry in _PATTERNS:
        if pattern.match(metric):
            return entry
    return None


def markdown() -> str:
    """``docs/metrics.md``."""
    lines = [
        "# Metrics",
        "",
        "<!-- Generated by `python -m drsim.metrics.glossary` (make docs); do not edit. -->",
        "",
        "Every metric drsim reports per replication (and as a mean with a 95 % interval over",
        "replications), its unit, what it means and the known answer that tests it.",
        "NaN means undefined for the run (no fault, no stale read…), never zero.",
        "`<cause>` stands for an outcome cause, `<region>` for a region name, `<kind>` for a",
        f"write kind ({', '.join(WRITE_KINDS)}) or exposure kind, `<op>` for an operation,",
        "`<client>` for a client kind (a population), `<q>` for a quantile (p50, p90, p99),",
        "`<name>` for a dependency (`dependencies[].name`).",
        "",
        "| metric | unit | definition | known answer |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{e.name}` | {e.unit} | {e.definition} | {e.known_answer} |" for e in GLOSSARY]
    lines += ["", "## Outcome causes", "", "| cause | meaning |", "|---|---|"]
    lines += [f"| `{cause}` | {CAUSES[cause]} |" for cause in OUTCOMES]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
