"""Overrides that turn the reference scenario's journeys back into independent arrivals.

The reference (``cognito-active-passive``) describes people: sessions that refresh their
tokens and read and update profiles, follow-ups. Tests of a mechanism that need the
former flat rates (100 refreshes, 20 reads, 2 updates, 1 sign-out per second) apply
:data:`RATES_ONLY` after the reference's own keys.
"""

RATES_ONLY = [
    "sessions.active_for=null", "sessions.actions={}", "sessions.sign_out_at_end=0%",
    "traffic.follow_ups=[]", "traffic.refresh=100/s", "traffic.profile_read=20/s",
    "traffic.profile_update=2/s", "traffic.sign_out=1/s",
]
