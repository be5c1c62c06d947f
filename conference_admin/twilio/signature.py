"""X-Twilio-Signature: computing and checking Twilio's webhook signature.

HMAC-SHA1 keyed by the Auth Token over the full URL followed by every POST
parameter name and value in sorted order, base64-encoded. Twilio is inconsistent
about default ports, so validation accepts the URL with and without :443/:80.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

Params = Mapping[str, str] | Iterable[tuple[str, str]]


def _pairs(params: Params | None) -> list[tuple[str, str]]:
    if params is None:
        return []
    getlist = getattr(params, "getlist", None)
    if getlist is not None:
        # Multi-value mappings (Django's QueryDict) hide repeated values behind items().
        return [(str(key), str(value)) for key in params for value in getlist(key)]
    if isinstance(params, Mapping):
        items: list[tuple[str, str]] = []
        for key, value in params.items():
            if isinstance(value, (list, tuple)):
                items.extend((key, str(v)) for v in value)
            else:
                items.append((key, str(value)))
        return items
    return [(key, str(value)) for key, value in params]


def signed_content(params: Params | None) -> list[tuple[str, str]]:
    """The (name, value) pairs a signature covers: each distinct pair once, sorted.

    Repeating a value does not change the signature (as twilio-python computes it), so two
    posts with the same signed content are the same delivery, however many copies they carry.
    """
    return sorted(set(_pairs(params)))


def compute_signature(auth_token: str, url: str, params: Params | None = None) -> str:
    """The signature Twilio sends for a form POST of `params` to `url`."""
    message = url + "".join(name + value for name, value in signed_content(params))
    digest = hmac.new(auth_token.encode("utf-8"), message.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _port_variants(url: str) -> list[str]:
    parts = urlsplit(url)
    default_port = {"https": 443, "http": 80}.get(parts.scheme)
    if default_port is None or parts.hostname is None:
        return [url]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    without_port = urlunsplit(parts._replace(netloc=f"{prefix}{host}"))
    with_port = urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default_port}"))
    if parts.port not in (None, default_port):
        return [url]
    return [with_port, without_port]


def validate_signature(auth_token: str, url: str, params: Params | None, signature: str | None) -> bool:
    """True when `signature` matches `url` (with or without its default port) and `params`."""
    if not signature or not auth_token:
        return False
    expected = signature.encode("utf-8")
    return any(
        hmac.compare_digest(compute_signature(auth_token, candidate, params).encode("utf-8"), expected)
        for candidate in _port_variants(url)
    )
