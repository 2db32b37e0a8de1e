"""Point-in-time backups: the defence against a bad write that replicates (issue 18).

Replication copies a bad write to every replica within seconds, so DR by replication
does not protect against it; a backup taken before the bad write does. Amazon Cognito
user pools have no native point-in-time restore: the custom export/import design
exports periodically ("e.g. daily" [doc: DOMAIN.md section 6]); a DynamoDB-style
point-in-time recovery restores to any second of the last 35 days [assumption here: a
snapshot every ``interval``]. Absent (None) by default: nothing is ever restored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drsim.scenario.sections.base import Model
from drsim.scenario.types import Duration


class Backups(Model):
    """Snapshots every ``interval`` (the schedule's phase is drawn per replication, stream
    ``backups``); once a corruption is detected, a restore from the last snapshot before
    the bad write takes ``restore_time``, then writes the snapshot's profiles back at the
    region taking writes (they replicate like any write) and the configuration back
    everywhere it had reached (with the replication lag)."""

    interval: Duration = Field(
        gt=0, description="Time between snapshots: the restore's RPO is uniform on "
        "[0, interval) [assumption; a custom export: up to a day, doc].")
    restore_time: Duration = Field(
        1800.0, ge=0, description="From the start of the restore (the corruption detected) to "
        "the restored data being written back [assumption].")
    restore: Literal["affected_users", "everything"] = Field(
        "affected_users", description="affected_users: only the corrupted users' profiles "
        "go back to the snapshot; everything: every profile written since the snapshot goes "
        "back to it (a whole-table restore). Either way the profile writes of the restored "
        "users between the snapshot and the restore are lost (writes_lost_by_restore); "
        "users, passwords and sessions are not restored [assumption].")
