"""Path converters: a malformed SID in a URL is a 404 before any upstream call."""


class ConferenceSidConverter:
    regex = "CF[0-9a-fA-F]{32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class CallSidConverter(ConferenceSidConverter):
    regex = "CA[0-9a-fA-F]{32}"
