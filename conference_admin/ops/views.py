"""`/healthz` (the process answers) and `/readyz` (its dependencies answer): no login, and
nothing in either answer but the names of the dependencies (docs/OPERATIONS.md)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .readiness import readiness


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    ready = readiness()
    not_ready = [name for name, ok in ready.items() if not ok]
    checks = {name: "ok" if ok else "down" for name, ok in ready.items()}
    body: dict[str, object] = {"status": "not ready" if not_ready else "ready", "checks": checks}
    if not_ready:
        body["not_ready"] = not_ready
    return JsonResponse(body, status=503 if not_ready else 200)
