"""Validation of everything a supervisor types or picks, before anything reaches Twilio.

Each action form offers `service_kwargs()`: the keyword arguments of its service call.
Ranges, enums and patterns follow Twilio's API (see /work/shared/seed and CONTRACT.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.core.validators import RegexValidator, URLValidator

from conference_admin.requestvalues import WholeNumberField
from conference_admin.sids import BYOC_SID, CALL_SID
from conference_admin.twilio.twiml import TwimlRefused, conference_twiml

from .models import pick_lists

E164_RE = re.compile(r"^\+[1-9]\d{1,14}$")
CLIENT_RE = re.compile(r"^client:[A-Za-z0-9_.@\-]{1,121}$")
SIP_RE = re.compile(r"^sip:[^@\s]+@[^\s@]+$", re.IGNORECASE)
SIP_USER_RE = re.compile(r"^[A-Za-z0-9_.+\-]{1,64}$")

METHOD_CHOICES = [("GET", "GET"), ("POST", "POST")]
OPTIONAL_METHOD_CHOICES = [("", "Default"), *METHOD_CHOICES]


def http_url_field(label: str, *, required: bool = False, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=2000,
        help_text=help_text,
        validators=[URLValidator(schemes=["http", "https"], message="Enter a full http:// or https:// URL.")],
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )


def method_field(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=OPTIONAL_METHOD_CHOICES, required=False)


def picked_field(label: str) -> forms.ChoiceField:
    """A choice from a pick list; the form fills its choices when it is made (the lists change)."""
    return forms.ChoiceField(label=label, required=False, choices=())


def events_field(label: str, events: list[str]) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=[(e, e) for e in events], required=False, widget=forms.CheckboxSelectMultiple
    )


def enum_field(label: str, values: list[str]) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=[("", "Default"), *[(v, v) for v in values]], required=False)


def int_field(label: str, low: int, high: int, help_text: str = "") -> forms.IntegerField:
    return WholeNumberField(
        label=label,
        min_value=low,
        max_value=high,
        required=False,
        help_text=help_text or f"{low}–{high}",
    )


def call_sid_field(label: str, *, required: bool) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        validators=[RegexValidator(CALL_SID, "Pick a participant (a call SID: CA followed by 32 hex digits).")],
        error_messages={"required": "Choose whom to coach."},
    )


def _choices(entries: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(entry["url"], entry["name"]) for entry in entries]


def _method_for(entries: list[dict[str, str]], url: str) -> str | None:
    return next((entry.get("method") for entry in entries if entry["url"] == url), None)


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value not in (None, "", [])}


# --- participant actions ------------------------------------------------------------------


class ActionForm(forms.Form):
    """Base of every row action form; knows the participant it acts on."""

    def __init__(self, *args, call_sid: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.call_sid = call_sid

    def service_kwargs(self) -> dict[str, Any]:
        raise NotImplementedError


class NoInputForm(ActionForm):
    """Mute, unmute, resume, stop coaching, kick: nothing to validate beyond the URL."""

    def service_kwargs(self) -> dict[str, Any]:
        return {}


class HoldForm(ActionForm):
    hold_url = picked_field("Hold music")
    hold_method = method_field("Hold music method")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["hold_url"]).choices = _choices(pick_lists()["hold_music"])

    def service_kwargs(self) -> dict[str, Any]:
        music = pick_lists()["hold_music"]
        url = self.cleaned_data["hold_url"] or (music[0]["url"] if music else "")
        if not url:
            return {}
        method = self.cleaned_data["hold_method"] or _method_for(music, url)
        return _drop_empty({"hold_url": url, "hold_method": method})


class CoachForm(ActionForm):
    call_sid_to_coach = call_sid_field("Coach whom", required=True)

    def clean_call_sid_to_coach(self) -> str:
        value = self.cleaned_data["call_sid_to_coach"]
        if value == self.call_sid:
            raise forms.ValidationError("A participant cannot coach themselves.")
        return value

    def service_kwargs(self) -> dict[str, Any]:
        return {"call_sid_to_coach": self.cleaned_data["call_sid_to_coach"]}


class _PickedOrTypedUrlForm(ActionForm):
    """A URL chosen from a configured list, or typed; the typed one wins."""

    pick_list = ""  # a key of `pick_lists()`
    url_name = ""
    method_name = ""

    choice = picked_field("")  # each form names it
    custom_url = http_url_field("or URL")
    method = method_field("Method")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["choice"]).choices = [("", "—"), *_choices(self.entries())]

    def entries(self) -> list[dict[str, str]]:
        return pick_lists()[self.pick_list]

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        picked, typed = cleaned.get("choice"), cleaned.get("custom_url")
        if not picked and not typed and "custom_url" not in self.errors:
            self.add_error("custom_url", "Choose one from the list or type an http(s) URL.")
        return cleaned

    def service_kwargs(self) -> dict[str, Any]:
        url = self.cleaned_data["custom_url"] or self.cleaned_data["choice"]
        method = self.cleaned_data["method"] or _method_for(self.entries(), url)
        return _drop_empty({self.url_name: url, self.method_name: method})


class AnnounceForm(_PickedOrTypedUrlForm):
    pick_list = "announcements"
    url_name, method_name = "announce_url", "announce_method"

    choice = picked_field("Announcement")


class WaitMusicForm(_PickedOrTypedUrlForm):
    pick_list = "wait_music"
    url_name, method_name = "wait_url", "wait_method"

    choice = picked_field("Wait music")


def _to_bool(value: str) -> bool:
    return value == "true"


class EndConferenceOnExitForm(ActionForm):
    end_conference_on_exit = forms.TypedChoiceField(choices=[("true", "On"), ("false", "Off")], coerce=_to_bool)

    def service_kwargs(self) -> dict[str, Any]:
        return {"end_conference_on_exit": self.cleaned_data["end_conference_on_exit"]}


class BeepOnExitForm(ActionForm):
    beep_on_exit = forms.TypedChoiceField(choices=[("true", "On"), ("false", "Off")], coerce=_to_bool)

    def service_kwargs(self) -> dict[str, Any]:
        return {"beep_on_exit": self.cleaned_data["beep_on_exit"]}


# --- conference ---------------------------------------------------------------------------


ARRIVALS = [("open", "Open (can talk)"), ("muted", "Muted"), ("coach", "As a coach of someone there")]


class MoveForm(ActionForm):
    """Move to…: a live conference (by name) or a new side room, and how the person arrives there."""

    move_room = forms.CharField(label="Move to", required=False, max_length=128)
    move_new_room = forms.CharField(label="or a new room named", required=False, max_length=128)
    move_arrive = forms.ChoiceField(label="Arrives", choices=ARRIVALS, required=False)
    move_coach = forms.CharField(
        label="Coaching",
        required=False,
        validators=[RegexValidator(CALL_SID, "Pick someone in that room to coach.")],
    )
    move_ends_room = forms.BooleanField(label="Ends that room when they leave", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new_room = (data.get("move_new_room") or "").strip()
        room = new_room or (data.get("move_room") or "").strip()
        if not room:
            raise forms.ValidationError("Pick a conference or name a new room.")
        arrive = data.get("move_arrive") or "open"
        coach = data.get("move_coach") or None
        if arrive == "coach":
            if new_room or not coach:
                raise forms.ValidationError("A coach needs someone to coach: pick a live conference and whom.")
            if coach == self.call_sid:
                raise forms.ValidationError("A participant cannot coach themselves.")
        try:  # what Twilio would refuse, in the builder's words, before anything is sent
            conference_twiml(room, coach=coach if arrive == "coach" else None)
        except TwimlRefused as refused:
            raise forms.ValidationError(str(refused)) from None
        data["room"], data["arrive"], data["coach"] = room, arrive, coach if arrive == "coach" else None
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "room": data["room"],
            "muted": data["arrive"] == "muted",
            "coach": data["coach"],
            "end_conference_on_exit": bool(data.get("move_ends_room")),
        }


class WarmTransferForm(forms.Form):
    """With the dial-out: dial into a new side room instead, then move the chosen participants there."""

    transfer_room = forms.CharField(label="Into a new side room named", required=False, max_length=128)
    transfer_move = forms.MultipleChoiceField(label="then move there", required=False, choices=())

    def __init__(self, *args, move_choices: Sequence[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["transfer_move"]).choices = list(move_choices)

    @property
    def requested(self) -> bool:
        return bool((self.data.get("transfer_room") or "").strip())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        room = (data.get("transfer_room") or "").strip()
        if room and not data.get("transfer_move"):
            self.add_error("transfer_move", "Choose whom to move into the side room (the customer, the agent too).")
        try:
            conference_twiml(room or "-")
        except TwimlRefused as refused:
            self.add_error("transfer_room", str(refused))
        data["transfer_room"] = room
        return data


class ConferenceFilterForm(forms.Form):
    q = forms.CharField(label="Filter by name", required=False, max_length=128)


# --- add participant ----------------------------------------------------------------------

BOOL_DEFAULTS = {
    # field: Twilio's default; a checkbox left at the default is not sent.
    "muted": False,
    "record": False,
    "early_media": True,
    "start_conference_on_enter": True,
    "end_conference_on_exit": False,
    "coaching": False,
}


class AddParticipantForm(forms.Form):
    """Every create parameter of the client's `CreateParticipantParams`.

    `common_fields` are shown up front; the rest sit under "Advanced".
    """

    common_fields = (
        "to",
        "from_",
        "label",
        "muted",
        "coaching",
        "call_sid_to_coach",
        "timeout",
        "early_media",
        "beep",
        "start_conference_on_enter",
        "end_conference_on_exit",
        "record",
    )

    to = forms.CharField(
        label="To",
        max_length=256,
        help_text="+E.164 number, client:name or sip:user@host",
        widget=forms.TextInput(attrs={"placeholder": "+14155550100", "autocomplete": "off", "spellcheck": "false"}),
    )
    from_ = forms.CharField(
        label="From",
        max_length=128,
        help_text="Caller ID: pick or type +E.164 or client:name",
        widget=forms.TextInput(attrs={"list": "caller-ids", "autocomplete": "off", "spellcheck": "false"}),
    )
    label = forms.CharField(
        label="Label",
        max_length=128,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "agent:bob", "autocomplete": "off"}),
    )
    muted = forms.BooleanField(label="Muted on join", required=False)
    coaching = forms.BooleanField(label="Coach", required=False)
    call_sid_to_coach = forms.CharField(label="Coach whom", required=False)
    timeout = int_field("Ring timeout (s)", 5, 600)
    early_media = forms.BooleanField(label="Early media", required=False, initial=True)
    beep = enum_field("Beep", ["true", "false", "onEnter", "onExit"])
    start_conference_on_enter = forms.BooleanField(label="Starts conference on enter", required=False, initial=True)
    end_conference_on_exit = forms.BooleanField(label="Ends conference on exit", required=False)
    record = forms.BooleanField(label="Record participant", required=False)

    # Advanced: call
    caller_id = forms.CharField(label="Caller ID (for SIP/client)", max_length=128, required=False)
    caller_display_name = forms.CharField(label="Caller display name", max_length=128, required=False)
    call_reason = forms.CharField(label="Call reason", max_length=255, required=False)
    time_limit = int_field("Time limit (s)", 1, 86400)
    jitter_buffer_size = enum_field("Jitter buffer", ["off", "small", "medium", "large"])
    byoc = forms.CharField(
        label="BYOC trunk SID",
        required=False,
        validators=[RegexValidator(BYOC_SID, "A BYOC trunk SID is BY followed by 32 hex digits.")],
    )
    call_token = forms.CharField(label="Call token", max_length=2048, required=False)
    sip_auth_username = forms.CharField(label="SIP auth username", max_length=128, required=False)
    sip_auth_password = forms.CharField(
        label="SIP auth password", max_length=128, required=False, widget=forms.PasswordInput(render_value=False)
    )
    status_callback = http_url_field("Status callback")
    status_callback_method = method_field("Status callback method")
    status_callback_event = events_field("Status callback events", ["initiated", "ringing", "answered", "completed"])
    client_notification_url = http_url_field("Client notification URL")
    # Advanced: conference
    wait_url = http_url_field("Wait music URL")
    wait_method = method_field("Wait music method")
    max_participants = int_field("Max participants", 2, 250)
    region = enum_field("Region", ["us1", "us2", "ie1", "de1", "sg1", "br1", "au1", "jp1"])
    conference_record = enum_field("Record conference", ["true", "false", "record-from-start", "do-not-record"])
    conference_trim = enum_field("Conference trim", ["trim-silence", "do-not-trim"])
    conference_status_callback = http_url_field("Conference status callback")
    conference_status_callback_method = method_field("Conference status callback method")
    conference_status_callback_event = events_field(
        "Conference status events",
        ["start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement"],
    )
    conference_recording_status_callback = http_url_field("Conference recording callback")
    conference_recording_status_callback_method = method_field("Conference recording callback method")
    conference_recording_status_callback_event = events_field(
        "Conference recording events", ["in-progress", "completed", "failed", "absent"]
    )
    # Advanced: recording
    recording_channels = enum_field("Recording channels", ["mono", "dual"])
    recording_track = enum_field("Recording track", ["inbound", "outbound", "both"])
    trim = enum_field("Trim participant recording", ["trim-silence", "do-not-trim"])
    recording_status_callback = http_url_field("Recording status callback")
    recording_status_callback_method = method_field("Recording status callback method")
    recording_status_callback_event = events_field(
        "Recording events", ["started", "in-progress", "paused", "resumed", "stopped", "completed", "failed", "absent"]
    )
    # Advanced: answering machine detection
    machine_detection = enum_field("Machine detection", ["Enable", "DetectMessageEnd"])
    machine_detection_timeout = int_field("AMD timeout (s)", 3, 59)
    machine_detection_speech_threshold = int_field("AMD speech threshold (ms)", 1000, 6000)
    machine_detection_speech_end_threshold = int_field("AMD speech end threshold (ms)", 500, 5000)
    machine_detection_silence_timeout = int_field("AMD silence timeout (ms)", 2000, 10000)
    amd_status_callback = http_url_field("AMD status callback")
    amd_status_callback_method = method_field("AMD status callback method")

    advanced_groups = (
        (
            "Call",
            (
                "caller_id",
                "caller_display_name",
                "call_reason",
                "time_limit",
                "jitter_buffer_size",
                "byoc",
                "call_token",
                "sip_auth_username",
                "sip_auth_password",
                "status_callback",
                "status_callback_method",
                "status_callback_event",
                "client_notification_url",
            ),
        ),
        (
            "Conference",
            (
                "wait_url",
                "wait_method",
                "max_participants",
                "region",
                "conference_record",
                "conference_trim",
                "conference_status_callback",
                "conference_status_callback_method",
                "conference_status_callback_event",
                "conference_recording_status_callback",
                "conference_recording_status_callback_method",
                "conference_recording_status_callback_event",
            ),
        ),
        (
            "Recording",
            (
                "recording_channels",
                "recording_track",
                "trim",
                "recording_status_callback",
                "recording_status_callback_method",
                "recording_status_callback_event",
            ),
        ),
        (
            "Answering machine detection",
            (
                "machine_detection",
                "machine_detection_timeout",
                "machine_detection_speech_threshold",
                "machine_detection_speech_end_threshold",
                "machine_detection_silence_timeout",
                "amd_status_callback",
                "amd_status_callback_method",
            ),
        ),
    )

    def __init__(self, *args, coach_choices: Sequence[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.caller_ids = list(pick_lists()["caller_ids"])
        if self.caller_ids:
            self.fields["from_"].initial = self.caller_ids[0]
        self.fields["call_sid_to_coach"].widget = forms.Select(choices=[("", "—"), *coach_choices])
        self.participant_choices = list(coach_choices)  # whom a warm transfer may move (WarmTransferForm)

    def common_inputs(self):
        return [self[name] for name in self.common_fields if not isinstance(self.fields[name], forms.BooleanField)]

    def common_checks(self):
        return [self[name] for name in self.common_fields if isinstance(self.fields[name], forms.BooleanField)]

    def advanced(self):
        return [(title, [self[name] for name in names]) for title, names in self.advanced_groups]

    def clean_to(self) -> str:
        value = self.cleaned_data["to"].strip()
        if not (E164_RE.match(value) or CLIENT_RE.match(value) or SIP_RE.match(value)):
            raise forms.ValidationError(
                "Enter a phone number in E.164 form (+14155550100), client:name or sip:user@host."
            )
        return value

    def clean_from_(self) -> str:
        return self.cleaned_data["from_"].strip()

    def clean_label(self) -> str:
        value = self.cleaned_data["label"].strip()
        if "/" in value or "%2f" in value.lower():
            raise forms.ValidationError("A label cannot contain '/'.")
        if CALL_SID.match(value):
            raise forms.ValidationError("A label cannot look like a call SID.")
        return value

    def clean_call_sid_to_coach(self) -> str:
        value = self.cleaned_data["call_sid_to_coach"].strip()
        if value and not CALL_SID.match(value):
            raise forms.ValidationError("Pick a participant (a call SID: CA followed by 32 hex digits).")
        return value

    def clean_caller_id(self) -> str:
        value = self.cleaned_data["caller_id"].strip()
        if value and not (E164_RE.match(value) or CLIENT_RE.match(value) or SIP_USER_RE.match(value)):
            raise forms.ValidationError("Enter +E.164, client:name or a SIP user name.")
        return value

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        to, from_ = cleaned.get("to"), cleaned.get("from_")
        if to and from_:
            if E164_RE.match(to) and not E164_RE.match(from_):
                self.add_error("from_", "Calling a phone number needs a phone number (+E.164) as From.")
            elif not (
                E164_RE.match(from_) or CLIENT_RE.match(from_) or (SIP_RE.match(to) and SIP_USER_RE.match(from_))
            ):
                self.add_error("from_", "Enter +E.164 or client:name (or a SIP user name when calling sip:).")
        if cleaned.get("coaching") and not cleaned.get("call_sid_to_coach"):
            self.add_error("call_sid_to_coach", "Choose whom the new participant coaches.")
        if cleaned.get("call_sid_to_coach") and not cleaned.get("coaching"):
            self.add_error("coaching", "Tick Coach to coach the chosen participant, or clear the choice.")
        return cleaned

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        kwargs: dict[str, Any] = {"from_": data.pop("from_"), "to": data.pop("to")}
        for name, default in BOOL_DEFAULTS.items():
            value = data.pop(name)
            if value != default:
                kwargs[name] = value
        kwargs.update(_drop_empty(data))
        return kwargs
