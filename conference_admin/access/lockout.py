"""django-axes hooks: the lockout page and the client address behind the proxy."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render


def locked_out_message() -> str:
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return f"Too many failed attempts; try again in {minutes} minutes."


def lockout_response(request, original_response=None, credentials=None):
    """The login page again, with the lockout message instead of the form's error (HTTP 429)."""
    form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username", "")})
    context = {"form": form, "locked_out_message": locked_out_message(), "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)


def client_ip(request) -> str:
    """REMOTE_ADDR, or the address our own proxy (AXES_TRUSTED_PROXIES) appended to X-Forwarded-For."""
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and remote in settings.AXES_TRUSTED_PROXIES:
        return forwarded.split(",")[-1].strip() or remote
    return remote
