"""The ASGI entry point: the event streams (conference_admin/push) need it, since an open
stream must not hold a worker thread; every other page works here too (docs/DEPLOY.md)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference_admin.settings")
application = get_asgi_application()
