"""Twilio SIDs: two letters naming the resource, then 32 hex digits. Their patterns are written
here only, for the URL converters, the forms, the callbacks and the TwiML builder alike.

Imports nothing of ours (any app may use it; the Twilio client too: no Django).
"""

import re

HEX32 = "[0-9a-fA-F]{32}"

# For URL converters (no anchors).
CONFERENCE_SID_PATTERN = f"CF{HEX32}"
CALL_SID_PATTERN = f"CA{HEX32}"

# Whole-string matches.
CONFERENCE_SID = re.compile(rf"^{CONFERENCE_SID_PATTERN}$")
CALL_SID = re.compile(rf"^{CALL_SID_PATTERN}$")
RECORDING_SID = re.compile(rf"^RE{HEX32}$")
TRANSCRIPTION_SID = re.compile(rf"^GT{HEX32}$")
BYOC_SID = re.compile(rf"^BY{HEX32}$")
