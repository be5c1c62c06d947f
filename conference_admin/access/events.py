"""What sign-in tells other apps (the audit trail records these; conference_admin/audit/signins.py).

Each signal is sent with `source` ("oidc", "ldap" or "local"):

- `signed_in(user, source)`: a sign-in that succeeded;
- `sign_in_refused(username, source, reason)`: a sign-in refused, with the reason the person read;
- `directory_role_changed(user, source, before, after)`: the directory gave a user another role
  (at sign-in or at a re-check); `before` is None for a new account;
- `directory_signed_out(user, source, reason)`: a re-check ended a session (account disabled or
  deleted, or in no mapped group any more).
"""

from django.dispatch import Signal

signed_in = Signal()
sign_in_refused = Signal()
directory_role_changed = Signal()
directory_signed_out = Signal()
