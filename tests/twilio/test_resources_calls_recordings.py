"""Call and Recording resources read the spec's own examples and ignore keys they do not know."""

import json
import pickle
from pathlib import Path

import pytest

from conference_admin.twilio import Call, Recording

SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "twilio" / "api_v2010_calls_recordings.json"


def spec_examples(operation_id: str) -> list[dict]:
    if not SPEC_PATH.exists():
        pytest.skip(f"Twilio spec not found at {SPEC_PATH}")
    spec = json.loads(SPEC_PATH.read_text())
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method in ("get", "post") and operation["operationId"] == operation_id:
                found = []
                for response in operation["responses"].values():
                    examples = response.get("content", {}).get("application/json", {}).get("examples", {})
                    found.extend(example["value"] for example in examples.values())
                return found
    raise AssertionError(operation_id)


def test_call_from_the_spec_example():
    (example,) = spec_examples("FetchCall")
    call = Call.from_api({**example, "a_field_twilio_adds_later": 1}, request_id="RQ1")
    assert call.sid == example["sid"] and call.from_ == example["from"] and call.to == example["to"]
    assert call.direction == example["direction"] and call.request_id == "RQ1"
    assert call.start_time is not None and call.start_time.tzinfo is not None
    assert call.far_end == (call.from_ if call.direction == "inbound" else call.to)
    assert pickle.loads(pickle.dumps(call)) == call


@pytest.mark.parametrize(
    "operation_id",
    ["CreateCallRecording", "FetchCallRecording", "UpdateCallRecording", "FetchConferenceRecording"],
)
def test_recordings_from_the_spec_examples(operation_id):
    examples = spec_examples(operation_id)
    assert examples
    for example in examples:
        recording = Recording.from_api({**example, "unknown": "x"})
        assert recording.sid == example["sid"] and recording.status == example["status"]
        assert recording.duration == example["duration"] and recording.channels == example["channels"]
        assert recording.track == example.get("track")  # conference recordings have none
        assert recording.date_created is not None


def test_recordings_in_list_examples():
    for operation_id in ("ListCallRecording", "ListConferenceRecording"):
        for example in spec_examples(operation_id):
            for item in example["recordings"]:
                assert Recording.from_api(item).sid == item["sid"]
