"""django-axes hooks: the lockout page, the client address behind the proxies, and two limits.

Limits (docs/DEPLOY.md): `AXES_FAILURE_LIMIT` failures for one username from one address lock
that pair; `LOGIN_IP_FAILURE_LIMIT` failures from one address, whatever the usernames, lock the
address (password spraying). Both count failures axes stored within `AXES_COOLOFF_TIME` and
lock for that long. A successful sign-in clears only its own username's failures from that
address, never the address's count.
"""

from __future__ import annotations

import ipaddress
import logging

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q, Sum
from django.shortcuts import render

log = logging.getLogger(__name__)


def locked_out_message() -> str:
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    return f"Too many failed attempts; try again in {minutes} minutes."


def lockout_response(request, original_response=None, credentials=None):
    """The login page again, with the lockout message instead of the form's error (HTTP 429)."""
    form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username", "")})
    context = {"form": form, "locked_out_message": locked_out_message(), "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=429)


def _address(value: str) -> str | None:
    """`value` as a normalised IP address, or None when it is not one (never used as a key)."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return None
        address = address.ipv4_mapped or address
    return str(address)


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the hop the outermost appended.

    Each trusted proxy appends the address it received the request from to X-Forwarded-For, so
    with N proxies the client is the N-th hop from the right; anything left of it was written by
    the client and is ignored. A chain shorter than N, or a hop that is not an IP address, falls
    back to REMOTE_ADDR (logged); None only when REMOTE_ADDR is not an address either.
    """
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",")] if forwarded.strip() else []
    if len(hops) < proxies:
        log.warning(
            "X-Forwarded-For has %d hops, fewer than TRUSTED_PROXY_COUNT=%d; using REMOTE_ADDR", len(hops), proxies
        )
        return remote
    client = _address(hops[-proxies])
    if client is None:
        log.warning("X-Forwarded-For hop %r is not an IP address; using REMOTE_ADDR", hops[-proxies][:64])
        return remote
    return client


class LoginThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with a second, higher limit per address across usernames.

    Axes has one failure limit for all its lockout parameters, so the lockout parameters stay
    (username, address) and the per-address count is added here, from the same stored attempts.
    """

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        """A refused OpenID Connect sign-in (its credentials carry no username: the password was
        typed at the provider, which throttles it) is no guess at a password here: not counted,
        so people refused for having no mapped group never lock out their office's address."""
        if "username" not in credentials:
            return None
        return super().user_login_failed(sender, credentials, request, **kwargs)

    def get_failures(self, request, credentials=None) -> int:
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        counts = attempts.aggregate(
            address=Sum("failures_since_start"), pair=Sum("failures_since_start", filter=Q(username=username))
        )
        pair, address = counts["pair"] or 0, counts["address"] or 0
        if address >= settings.LOGIN_IP_FAILURE_LIMIT:
            return max(pair, get_failure_limit(request, credentials))
        return pair
