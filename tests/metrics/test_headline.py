"""The headline in words, from the metrics alone."""

from drsim.metrics.headline import duration_words, headline_words

REFERENCE_LIKE = {
    "incidents": 1.0,
    "headline_incident": 1.0,
    "sign_in_users_after_fault": 1000.0,
    "rto_50_s": 60.0,
    "rto_50_recovered": 1.0,
    "rto_90_s": 126.0,
    "rto_90_recovered": 1.0,
    "rto_99_s": 1920.0,
    "rto_99_recovered": 0.0,
    "never_recovered_users.mfa_unsupported": 150.0,
    "never_recovered_users.region_down": 18.0,
    "never_recovered_users.throttled": 0.0,
    "time_to_failback_s": 1860.0,
}


def test_the_shape_of_the_recovery_in_one_sentence():
    assert headline_words(REFERENCE_LIKE) == (
        "50 % of sign-ins restored after 1.0 min, 90 % restored after 2.1 min, 99 % not "
        "restored before the end of the observation; TOTP users (15 %) and clients still sent "
        "to the failed region (2 %) out until failback at 31 min."
    )


def test_levels_with_the_same_outcome_are_said_once(make_scenario):
    metrics = {**REFERENCE_LIKE, "rto_90_s": 60.0, "rto_99_s": 60.0, "rto_99_recovered": 1.0,
               "never_recovered_users.mfa_unsupported": 0.0,
               "never_recovered_users.region_down": 0.0}
    assert headline_words(metrics) == "50 %, 90 % and 99 % of sign-ins restored after 1.0 min."
    # The scenario's levels choose which keys are read.
    scenario = make_scenario(run={"duration": "600s", "rto_levels": ["90%"]})
    assert headline_words(metrics, scenario) == "90 % of sign-ins restored after 1.0 min."


def test_no_failback_unknown_levels_and_several_incidents():
    metrics = {**REFERENCE_LIKE, "time_to_failback_s": float("nan"), "incidents": 2.0,
               "rto_99_recovered": float("nan"), "rto_99_s": float("nan")}
    words = headline_words(metrics)
    assert words.startswith("2 incidents; incident 1: 50 % of sign-ins restored after 1.0 min")
    assert "99 % unknown (too few sign-ins to judge)" in words
    assert words.endswith("not back before the next incident.")


def test_nothing_to_say_without_a_fault_or_sign_ins():
    assert headline_words({"incidents": 0.0}) == "No fault in this run: nothing to recover from."
    assert headline_words({**REFERENCE_LIKE, "sign_in_users_after_fault": 0.0}).startswith(
        "No legitimate sign-ins after the fault")


def test_duration_words():
    assert [duration_words(s) for s in (45.0, 126.0, 1860.0)] == ["45 s", "2.1 min", "31 min"]


def test_small_groups_are_summed_and_unbroken_levels_are_held():
    metrics = {**REFERENCE_LIKE, "rto_50_s": 0.0, "never_recovered_users.throttled": 3.0,
               "never_recovered_users.locked_out": 2.0}
    assert headline_words(metrics) == (
        "50 % of sign-ins held from the start, 90 % restored after 2.1 min, 99 % not restored "
        "before the end of the observation; TOTP users (15 %), clients still sent to the "
        "failed region (2 %) and 5 other users out until failback at 31 min."
    )
