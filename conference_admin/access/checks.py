"""Deployment checks (`manage.py check --deploy`) for sign-in throttling."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def trusted_proxies_check(app_configs, **kwargs):
    """Behind a reverse proxy, TRUSTED_PROXY_COUNT=0 keys every sign-in on the proxy's own address."""
    if settings.TRUSTED_PROXY_COUNT > 0:
        return []
    return [
        Warning(
            "TRUSTED_PROXY_COUNT is 0: sign-in throttling keys every attempt on REMOTE_ADDR. Behind the "
            "reverse proxy of docs/DEPLOY.md that is the proxy's address, so one address's limit "
            f"({settings.LOGIN_IP_FAILURE_LIMIT} failures) would lock everyone out.",
            hint="Set TRUSTED_PROXY_COUNT to the number of reverse proxies in front (1 for nginx on this host).",
            id="access.W001",
        )
    ]
