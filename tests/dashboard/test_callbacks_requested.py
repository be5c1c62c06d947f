"""Participants the dashboard dials carry status callbacks, when Twilio can reach the dashboard."""

from django.urls import reverse

from .conftest import SALES, upstream

HTMX = {"HTTP_HX_REQUEST": "true"}


def dial(client, demo):
    demo.simulator.reset_request_log()
    response = client.post(
        reverse("participant-add", args=[demo.sid(SALES)]),
        {"to": "+14155550177", "from_": "+15005550006", "label": "agent:yuri"},
        **HTMX,
    )
    assert response.status_code == 200
    [create] = upstream(demo.simulator)
    return create.params


def test_with_a_public_url_the_dial_out_asks_for_every_callback(supervisor_client, demo, settings):
    settings.PUBLIC_BASE_URL = "https://dash.example.com/"
    params = dial(supervisor_client, demo)
    assert params["StatusCallback"] == [
        f"https://dash.example.com/webhooks/twilio/call-status?conference={demo.sid(SALES)}"
    ]
    assert params["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert params["ConferenceStatusCallback"] == ["https://dash.example.com/webhooks/twilio/conference-status"]
    assert set(params["ConferenceStatusCallbackEvent"]) == {
        "start",
        "end",
        "join",
        "leave",
        "mute",
        "hold",
        "modify",
        "speaker",
        "announcement",
    }


def test_without_a_public_url_nothing_is_asked(supervisor_client, demo, settings):
    settings.PUBLIC_BASE_URL = ""
    params = dial(supervisor_client, demo)
    assert "StatusCallback" not in params and "ConferenceStatusCallback" not in params


def test_page_says_which_mode_is_active(supervisor_client, demo):
    html = supervisor_client.get(reverse("conference-detail", args=[demo.sid(SALES)])).content.decode()
    assert "Live: polling Twilio every" in html
