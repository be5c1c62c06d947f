"""Form validation on its own (no simulator; the pick lists are read from the database)."""

from __future__ import annotations

import pytest
from django.conf import settings

from conference_admin.dashboard import forms

pytestmark = pytest.mark.django_db  # pick lists (conference_admin.dashboard.models.pick_lists)

BASE = {"early_media": "on", "start_conference_on_enter": "on"}


@pytest.mark.parametrize(
    ("to", "from_"),
    [
        ("+14155550100", "+15005550006"),
        ("client:alice", "+15005550006"),
        ("client:alice", "client:desk"),
        ("sip:alice@pbx.example.com", "desk-01"),
        ("sip:alice@pbx.example.com;transport=tls", "+15005550006"),
    ],
)
def test_valid_destinations(to, from_):
    form = forms.AddParticipantForm({"to": to, "from_": from_, **BASE})
    assert form.is_valid(), form.errors
    assert form.service_kwargs() == {"to": to, "from_": from_}


@pytest.mark.parametrize(
    "to", ["+1 415 555 0100", "++14155550100", "+1415555010012345", "client:", "sip:@x", "tel:+14155550100", "app:AP1"]
)
def test_invalid_destinations(to):
    form = forms.AddParticipantForm({"to": to, "from_": "+15005550006", **BASE})
    assert not form.is_valid() and "to" in form.errors


def test_unticked_default_true_booleans_are_sent_as_false():
    form = forms.AddParticipantForm({"to": "client:a", "from_": "client:b"})
    assert form.is_valid(), form.errors
    assert form.service_kwargs() == {
        "to": "client:a",
        "from_": "client:b",
        "early_media": False,
        "start_conference_on_enter": False,
    }


def test_coach_target_without_coaching_is_an_error():
    form = forms.AddParticipantForm(
        {"to": "client:a", "from_": "client:b", "call_sid_to_coach": "CA" + "0" * 32, **BASE}
    )
    assert not form.is_valid() and "coaching" in form.errors


def test_hold_defaults_to_the_first_configured_music():
    form = forms.HoldForm({})
    assert form.is_valid()
    first = settings.DASHBOARD_HOLD_MUSIC[0]
    assert form.service_kwargs() == {"hold_url": first["url"], "hold_method": first["method"]}


def test_typed_announcement_url_wins_and_keeps_twilio_default_method():
    form = forms.AnnounceForm(
        {"choice": settings.DASHBOARD_ANNOUNCEMENTS[0]["url"], "custom_url": "https://x.example.com/a.mp3"}
    )
    assert form.is_valid()
    assert form.service_kwargs() == {"announce_url": "https://x.example.com/a.mp3"}


def test_coach_form_requires_a_call_sid_pattern():
    assert forms.CoachForm({"call_sid_to_coach": "CA" + "A1" * 16}, call_sid="CA" + "0" * 32).is_valid()
    assert not forms.CoachForm({"call_sid_to_coach": "CA" + "g" * 32}).is_valid()


def test_every_create_parameter_has_a_form_field():
    from conference_admin.twilio.params import CreateParticipantParams

    fields = set(forms.AddParticipantForm.base_fields) - {"to", "from_"}
    assert fields == set(CreateParticipantParams.__annotations__)
    grouped = set(forms.AddParticipantForm.common_fields) | {
        name for _, names in forms.AddParticipantForm.advanced_groups for name in names
    }
    assert grouped == set(forms.AddParticipantForm.base_fields)
