"""What the live state tells other apps (the ops app's metrics listen, registered in its
AppConfig.ready):

- `webhook_refused`: a status callback's signature was missing or wrong (`reason`);
- `roster_reconciled`: a conference was reconciled with Twilio's list; `lag_seconds` since its
  previous reconcile (None for the first).
"""

from django.dispatch import Signal

webhook_refused = Signal()
roster_reconciled = Signal()
