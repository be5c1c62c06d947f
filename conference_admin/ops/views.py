"""`/healthz` (the process answers), `/readyz` (its dependencies answer): no login, and nothing in
either answer but the names of the dependencies. `/metrics`: Prometheus' text format for a
scraper holding `METRICS_BEARER_TOKEN` or calling from `METRICS_ALLOWED_NETWORKS`
(docs/OPERATIONS.md)."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.contrib.auth.decorators import login_not_required, permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from conference_admin.access.roles import VIEW

from .metrics import exposition
from .readiness import readiness
from .status import banner_context


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


def scraper_allowed(request: HttpRequest) -> bool:
    """The bearer token (when one is set), or the caller's address in the allowed networks."""
    token = settings.METRICS_BEARER_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in settings.METRICS_ALLOWED_NETWORKS)


@login_not_required
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not scraper_allowed(request):
        response = HttpResponse("Metrics need the scraper's bearer token.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


@never_cache
@require_GET
@permission_required(VIEW, raise_exception=True)
def dependency_status(request: HttpRequest) -> HttpResponse:
    """The conference pages' dependency banner, refreshed on its own: for whoever may see them."""
    return render(request, "ops/_dependency_banner.html", banner_context())
