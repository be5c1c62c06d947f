"""What the audit trail tells other apps (the ops app's metrics listen, registered in its
AppConfig.ready): `attempt_settled` once an attempt's outcome is known, with `action` and
`outcome` ("ok", "failed", "unknown"), whether or not the database took the settling."""

from django.dispatch import Signal

attempt_settled = Signal()
