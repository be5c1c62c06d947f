"""Validate simulator responses against Twilio's OpenAPI specs (the trimmed copies in shared/).

OpenAPI 3.0 is not JSON Schema: `nullable: true` becomes a `"null"` type here, `$ref`s are
inlined, and every object with listed properties is made exact (all present, no extras), because
the simulator must return exactly the spec's fields. An enum reached through `$ref` is nullable
only when its description says it can be null (reason_conference_ended).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

SHARED_TWILIO = Path(__file__).resolve().parents[2] / ".." / "shared" / "twilio"
SPEC_PATH = SHARED_TWILIO / "api_v2010_conference.json"
CALLS_RECORDINGS_SPEC_PATH = SHARED_TWILIO / "api_v2010_calls_recordings.json"
TRANSCRIPTIONS_SPEC_PATH = SHARED_TWILIO / "api_v2010_realtime_transcriptions.json"
RFC2822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}"
    r" \d{2}:\d{2}:\d{2} \+0000$"
)

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string"},
        "more_info": {"type": "string", "pattern": r"^https://www\.twilio\.com/docs/errors/\d+$"},
        "status": {"type": "integer"},
    },
    "required": ["code", "message", "more_info", "status"],
    "additionalProperties": False,
}

format_checker = jsonschema.FormatChecker()


@format_checker.checks("date-time-rfc-2822")
def _is_rfc2822(value: object) -> bool:
    return not isinstance(value, str) or bool(RFC2822.fullmatch(value))


@cache
def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    if not path.is_file():
        pytest.skip(f"Twilio spec not found at {path} (needs the shared/ folder beside the repo)")
    return json.loads(path.read_text())


def _resolve(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def to_json_schema(spec: dict[str, Any], node: Any) -> Any:
    """OpenAPI 3.0 schema -> strict JSON Schema (see module docstring)."""
    if isinstance(node, list):
        return [to_json_schema(spec, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = _resolve(spec, node["$ref"])
        converted = to_json_schema(spec, target)
        if "enum" in target and "null" in target.get("description", ""):
            return {"anyOf": [converted, {"type": "null"}]}
        return converted
    converted = {
        key: to_json_schema(spec, value)
        for key, value in node.items()
        if key not in ("nullable", "description", "examples", "example")
    }
    if node.get("nullable") and "type" in node:
        converted["type"] = [node["type"], "null"]
    if "properties" in node:
        converted["required"] = sorted(node["properties"])
        converted["additionalProperties"] = False
    return converted


@cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any], Path]]:
    operations = []
    for path in (SPEC_PATH, CALLS_RECORDINGS_SPEC_PATH, TRANSCRIPTIONS_SPEC_PATH):
        for template, item in load_spec(path)["paths"].items():
            regex = re.escape(template)
            if "/Participants/" in template:
                regex = regex.replace(re.escape("{CallSid}"), ".+")  # a label may hold anything but '/'
            regex = re.sub(r"\\\{\w+\\\}", "[^/]+", regex)
            for method, operation in item.items():
                if method in ("get", "post", "delete"):
                    operations.append((re.compile(f"^{regex}$"), method.upper(), operation, path))
    return operations


def _operation_and_spec(method: str, path: str) -> tuple[dict[str, Any], Path]:
    for regex, op_method, operation, spec_path in _operations():
        if op_method == method and regex.match(path):
            return operation, spec_path
    raise AssertionError(f"no spec operation for {method} {path}")


def operation_for(method: str, path: str) -> dict[str, Any]:
    return _operation_and_spec(method, path)[0]


def response_schema(method: str, path: str, status: int) -> dict[str, Any] | None:
    """The JSON Schema for a success response, or None when the spec says no body (204)."""
    operation, spec_path = _operation_and_spec(method, path)
    response = operation["responses"].get(str(status))
    assert response is not None, f"{operation['operationId']} does not answer {status} in the spec"
    content = response.get("content")
    if content is None:
        return None
    return to_json_schema(load_spec(spec_path), content["application/json"]["schema"])


def validate_response(method: str, path: str, status: int, body: bytes) -> None:
    """Assert a simulator response matches the spec (success) or Twilio's error shape."""
    if status >= 400:
        payload = json.loads(body)
        jsonschema.validate(payload, ERROR_SCHEMA)
        assert payload["status"] == status
        return
    schema = response_schema(method, path, status)
    if schema is None:
        assert body == b"", f"{method} {path} -> {status} must have an empty body"
        return
    jsonschema.validate(json.loads(body), schema, format_checker=format_checker)


def operation_id(method: str, path: str) -> str:
    return str(operation_for(method, path)["operationId"])
