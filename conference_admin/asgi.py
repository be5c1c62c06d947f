"""The ASGI entry point: the event streams (conference_admin/push) need it, since an open
stream must not hold a worker thread; every other page works here too (docs/DEPLOY.md)."""

import atexit
import os
import warnings

from django.core.asgi import get_asgi_application

# Static files (WhiteNoise) are small files read in a thread; Django's note that it consumes
# their synchronous iterators is expected here, not a problem to report on every request.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators", category=Warning)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conference_admin.settings")
application = get_asgi_application()

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Metrics' multiprocess mode (docs/OPERATIONS.md): this process's live gauges (open streams)
    # leave the sum when it exits; gunicorn does the same for its workers (gunicorn.conf.py).
    from prometheus_client import multiprocess

    atexit.register(multiprocess.mark_process_dead, os.getpid())
