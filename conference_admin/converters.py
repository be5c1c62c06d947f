"""Path converters: a malformed SID in a URL is a 404 before any upstream call.

Every app's URLconf that takes a SID imports this module (it registers `<conference_sid:>` and
`<call_sid:>` once, on import). Imports nothing of ours but `sids.py`.
"""

from django.urls import register_converter

from conference_admin.sids import CALL_SID_PATTERN, CONFERENCE_SID_PATTERN


class ConferenceSidConverter:
    regex = CONFERENCE_SID_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class CallSidConverter(ConferenceSidConverter):
    regex = CALL_SID_PATTERN


register_converter(ConferenceSidConverter, "conference_sid")
register_converter(CallSidConverter, "call_sid")
