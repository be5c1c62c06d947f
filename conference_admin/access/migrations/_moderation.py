"""The Moderation model's permissions as the migrations added them (for migrations).

A migration's state is history: each entry below is what one migration added, and
`moderation_options(through=...)` is the model's options after that migration (its permissions
and all earlier ones, in order). Never change an entry a migration has used; a new permission is
a new entry for its new migration. `access.models.Moderation` holds the current list.
(Django's migration loader skips modules whose name starts with "_".)
"""

from django.db import migrations

from ._grants import grant_once

ADDED = {
    "0001": [
        ("view_conferences", "See live conferences and their participants"),
        ("moderate_participants", "Mute, hold, coach, announce to and remove participants"),
        ("add_participants", "Add participants (dial out)"),
        ("end_conferences", "End a conference or announce to all of it"),
        ("bulk_actions", "Act on many participants at once"),
    ],
    "0002": [
        ("pause_recordings", "Pause and resume recordings"),
        ("control_recordings", "Start and stop recordings"),
    ],
    "0005": [("move_participants", "Move a participant to another conference and bring them back")],
    "0006": [
        ("view_transcripts", "Read live transcripts"),
        ("start_transcripts", "Start and stop live transcripts"),
    ],
}


def moderation_options(*, through: str) -> dict[str, object]:
    """Moderation's options once migration `through` (e.g. "0005") has run."""
    permissions = [permission for number, added in ADDED.items() if number <= through for permission in added]
    return {"default_permissions": (), "managed": False, "permissions": permissions}


def permissions_added(*, through: str, grants: dict[str, list[str]]) -> list[migrations.operations.base.Operation]:
    """The operations of migration `through`, which adds permissions: Moderation's options as
    they now are, then the new permissions granted ONCE to the role groups that already exist."""
    return [
        migrations.AlterModelOptions(name="moderation", options=moderation_options(through=through)),
        migrations.RunPython(grant_once(grants), migrations.RunPython.noop),
    ]
