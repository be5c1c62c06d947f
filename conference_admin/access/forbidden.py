"""One log line per refusal (403): who, where and why; no traceback.

Django logs a refused request (PermissionDenied, a CSRF failure, a 403 response) on
`django.request` or `django.security.csrf`, a PermissionDenied with its full traceback. This
logging filter, attached to both loggers in settings.LOGGING, rewrites such a record as

    Forbidden: user=<username or anonymous> path=<path> reason=<why>

with control characters escaped, so a refusal is one line whatever the path or the username.
"""

from __future__ import annotations

import logging
import re

_DJANGO_REASON = re.compile(r"^Forbidden \((?P<reason>.*)\): ", re.DOTALL)


def _escaped(value: str) -> str:
    return value.encode("unicode_escape").decode("ascii")


def _user(request) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
    return user.get_username()


def _reason(record: logging.LogRecord) -> str:
    found = _DJANGO_REASON.match(record.getMessage())
    reason = found.group("reason").rstrip(".") if found else "forbidden"
    exception = record.exc_info[1] if record.exc_info else None
    detail = str(exception) if exception is not None else ""
    return f"{reason}: {detail}" if detail else reason


class OneLineForbidden(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        try:
            args = (
                _escaped(_user(request)),
                _escaped(getattr(request, "path", "")),
                _escaped(_reason(record)),
            )
        except Exception:  # never let logging turn a refusal into an error; keep Django's record
            return True
        record.msg = "Forbidden: user=%s path=%s reason=%s"
        record.args = args
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
