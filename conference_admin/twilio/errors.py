"""One exception hierarchy for everything that can go wrong talking to Twilio.

Callers catch `TwilioError` and read `outcome_unknown` to decide whether they may
report a failure as final or must re-read the truth first.
"""

from __future__ import annotations


class TwilioError(Exception):
    """Base class. `outcome_unknown` is True when the request may have been applied."""

    outcome_unknown = False
    # The Label a failed dial-out carried, set by the caller that chose it, so a dial whose
    # outcome is unknown can be looked up by label.
    participant_label: str | None = None

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url


class TwilioApiError(TwilioError):
    """Twilio answered with an error status; `code` is Twilio's numeric error code."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: int | None = None,
        more_info: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        retried_after_unknown_outcome: bool = False,
        method: str = "",
        url: str = "",
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.status = status
        self.code = code
        self.more_info = more_info
        self.request_id = request_id
        self.retry_after = retry_after
        # Set when an earlier attempt of this same call timed out: a 404 on a retried
        # DELETE then most likely means the first attempt already removed the participant.
        self.retried_after_unknown_outcome = retried_after_unknown_outcome

    # A read-only property where the base has a plain attribute: an API error's outcome follows
    # from its status and method, and nothing assigns it.
    @property
    def outcome_unknown(self) -> bool:  # type: ignore[override]
        # A 5xx to a write may come after Twilio applied it (the client never replays it);
        # a 429 and every 4xx are rejections: nothing happened.
        return self.status >= 500 and self.method not in ("", "GET")

    @property
    def is_not_found(self) -> bool:
        return self.status == 404 or self.code == 20404

    @property
    def is_rate_limited(self) -> bool:
        return self.status == 429 or self.code == 20429

    def __str__(self) -> str:
        code = self.code if self.code is not None else self.status
        return f"{self.message} ({code})"


class TwilioTransportError(TwilioError):
    """No usable HTTP answer: the connection failed or the read timed out."""

    def __init__(self, message: str, *, outcome_unknown: bool, method: str = "", url: str = "") -> None:
        super().__init__(message, method=method, url=url)
        self.outcome_unknown = outcome_unknown


class TwilioUnreachable(TwilioTransportError):
    """The connection could not be opened, so nothing reached Twilio."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message, outcome_unknown=False, method=method, url=url)


class TwilioTimeout(TwilioTransportError):
    """The request was sent (or may have been) but no answer came in time."""


class TwilioInvalidResponse(TwilioError):
    """Twilio answered 2xx with a body that is not the JSON we expect."""

    def __init__(self, message: str, *, method: str = "", url: str = "", request_id: str | None = None) -> None:
        super().__init__(message, method=method, url=url)
        self.request_id = request_id
        # A write that answered 2xx was applied; only its echo is unreadable.
        self.outcome_unknown = method != "GET"


class TwilioTooManyPages(TwilioInvalidResponse):
    """A list answer still had a `next_page_uri` after the client's page limit: an upstream
    that points at itself, or a list far beyond anything the dashboard shows. Not followed."""
