"""Path converters: a malformed SID in a URL is a 404 before any upstream call."""

from django.urls import register_converter


class ConferenceSidConverter:
    regex = "CF[0-9a-fA-F]{32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class CallSidConverter(ConferenceSidConverter):
    regex = "CA[0-9a-fA-F]{32}"


# Registered on import, once, so every URLconf that uses them can simply import this module.
register_converter(ConferenceSidConverter, "conference_sid")
register_converter(CallSidConverter, "call_sid")
