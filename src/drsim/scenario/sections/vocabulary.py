"""The words a scenario uses: the pattern of names, the operations and the outcome causes.

Operations and outcome causes are listed in the order used for their codes
everywhere in drsim (records, metrics, reports).
"""

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"

OPERATIONS = (
    "sign_in",
    "federated_sign_in",
    "refresh",
    "sign_up",
    "profile_read",
    "profile_update",
    "password_change",
    "sign_out",
    "admin_disable",
    "m2m_token",
)
"""Legitimate operations, in the order used for codes everywhere in drsim."""


OUTCOME_CAUSES = (
    "ok",
    "region_down",
    "region_error",
    "read_only",
    "user_not_found",
    "stale_credential",
    "password_reset_required",
    "mfa_unsupported",
    "locked_out",
    "wrong_password",
    "throttled",
    "token_rejected",
    "idp_unavailable",
    "kms_unavailable",
    "dns_unavailable",
    "sync_unavailable",
    "user_disabled",
    "federated_user_unseen",
    "timeout",
    "shed",
    "dependency_down",
    "dependency_throttled",
    "circuit_open",
    "corrupt",
    "misconfigured",
)
"""Every outcome a request can end in (MODEL.md causes plus drsim's additions):

- ``password_reset_required``: imported without a password hash (periodic export).
- ``wrong_password``: an attacker's wrong guess.
- ``dns_unavailable``: the client's resolver could not answer (DNS outage, no serve-stale).
- ``sync_unavailable``: a synchronous write could not reach the other site.
- ``user_disabled``: the user is disabled in the serving region.
- ``federated_user_unseen``: a federated user who never signed in at the primary, at a
  secondary that only knows federated users the primary has seen (not data loss).
- ``timeout``: the client gave up waiting (``clients[].timeout``); the region did the work
  (unless its ``capacity.discipline`` is ``drop_expired``, or ``drop_oldest`` pushed it
  out before serving it).
- ``shed``: the region's admission control refused the request at once, its queue being
  longer than the request's priority admits (``capacity.max_wait``, ``admission``), or a
  ``drop_oldest`` queue pushed it out, waiting, for a newer one (``capacity.max_queue``).
- ``dependency_down``: a dependency the request needs (``dependencies``: an SMS/email
  sender, a trigger) is down — its host region is down, or a ``dependency_outage`` fault.
- ``dependency_throttled``: a dependency the request needs is over its ``capacity``.
- ``circuit_open``: the client kind's circuit breaker was open: the attempt failed fast in
  the client and reached no region (``clients[].circuit_breaker``).
- ``corrupt``: a profile read served data a corruption fault overwrote (wrong data: a
  failure of what the user came for), until a restore reaches the region.
- ``misconfigured``: a sign-in at a region whose pool configuration a corruption fault
  broke, until a restore reaches it.
"""
