"""Hostile input never reaches Twilio and never makes a 500.

Property-based (hypothesis) over every form the dashboard has and both webhooks: random and
hostile values (huge strings, unicode, control characters and NUL, HTML/JS, SQL-looking text,
numbers out of range, several values for one field, missing fields, invalid SIDs in URLs).
Invalid input must get a field error (or a 400/404) and cause 0 upstream calls, counted in
the simulator's request log.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from conference_admin.dashboard import forms
from conference_admin.dashboard.views import ACTIONS
from conference_admin.twilio import TwilioApiError
from conference_admin.twilio.signature import compute_signature

from .conftest import ESCALATION, HTMX, due, upstream

SETTINGS = hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

HOSTILE = [
    "",
    " ",
    "x" * 5000,
    "\x00",
    "a\x00b",
    "\r\n\t\x1b[31m",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"'><svg onload=alert(1)>",
    "' OR 1=1; DROP TABLE audit_auditrecord; --",
    "%00%2F..%2F..%2Fetc%2Fpasswd",
    "../../../etc/passwd",
    "\u202egnp.exe",
    "名前 💥 Ünïcödé",
    "\ud7ff\ufffd",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "true",
    "false",
    "TRUE",
    "null",
    "[]",
    "{}",
    "CA" + "0" * 32,
    "CA" + "g" * 32,
    "https://",
    "javascript:alert(1)",
    "http://example.com/" + "a" * 3000,
    "+14155550100",
    "client:x",
]

values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60), st.integers().map(str))
# A field may come once, several times (a list), or not at all.
field_value = st.one_of(values, st.lists(values, min_size=2, max_size=3))


def form_data(field_names: list[str]) -> st.SearchStrategy[dict]:
    return st.dictionaries(
        st.sampled_from([*field_names, "junk", "csrfmiddlewaretoken"]), field_value, max_size=len(field_names) + 2
    )


def as_querydict(data: dict):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, value in data.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return query


@pytest.fixture
def watched(supervisor_client, demo, seen):
    seen(ESCALATION)
    return demo


def assert_sane(response):
    assert response.status_code < 500, response.content[:300]


# --- participant actions ------------------------------------------------------------------


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_participant_action_form(supervisor_client, watched, action):
    spec = ACTIONS[action]
    demo = watched
    call_sid = demo.call_sid(ESCALATION, "agent:carol")
    url = reverse("participant", args=[demo.sid(ESCALATION), call_sid])

    @SETTINGS
    @given(data=form_data(list(spec.form.base_fields)))
    def check(data):
        if action == "kick":
            data = {**data, "junk": "x"}  # valid input would hang up carol: only invalid-shaped extras
        valid = spec.form(as_querydict(data), call_sid=call_sid).is_valid()
        demo.simulator.reset_request_log()
        response = supervisor_client.post(url, {**data, "action": action}, **HTMX)
        assert_sane(response)
        calls = len(upstream(demo.simulator))
        if valid:
            assert calls <= 1
        else:
            assert calls == 0
            assert response["HX-Retarget"].startswith(f"#{action}-error-" if spec.field_errors else "#note-")

    if action == "kick":
        # Kick has no fields: its hostile input is the URL, covered below; one junk post suffices.
        demo.simulator.reset_request_log()
        assert_sane(
            supervisor_client.post(
                reverse("participant", args=[demo.sid(ESCALATION), "CA" + "f" * 32]),
                {"action": "kick", "junk": "\x00<b>"},
                **HTMX,
            )
        )
        return
    check()


invalid_sid = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(min_size=1, max_size=40),
    st.from_regex(r"\ACF[0-9a-f]{31}\Z"),
    st.from_regex(r"\ACA[0-9a-f]{33}\Z"),
)


@SETTINGS
@given(conference=invalid_sid, call=invalid_sid, action=st.sampled_from([*sorted(ACTIONS), "drop-table", "", "%00"]))
def test_invalid_sids_and_actions_in_urls_are_404_without_upstream_calls(
    supervisor_client, watched, conference, call, action
):
    demo = watched
    demo.simulator.reset_request_log()
    path = f"/conferences/{quote(conference, safe='')}/participants/{quote(call, safe='')}/"
    response = supervisor_client.post(path, {"action": action}, **HTMX)
    assert response.status_code in (400, 404, 405)
    response = supervisor_client.post(f"{path}{quote(action, safe='')}/", {}, **HTMX)  # no per-action URL
    assert response.status_code in (400, 404, 405)
    for other in (
        f"/conferences/{quote(conference, safe='')}/",
        f"/conferences/{quote(conference, safe='')}/participants/",
    ):
        assert supervisor_client.get(other, **HTMX).status_code in (400, 404)
    for other in ("end", "announce", "participants/add"):
        assert supervisor_client.post(
            f"/conferences/{quote(conference, safe='')}/{other}/", {}, **HTMX
        ).status_code in (400, 404)
    assert upstream(demo.simulator) == []


# --- add participant, conference announce, list filter, audit filters ------------------------


def test_add_participant_form(supervisor_client, watched):
    demo = watched
    url = reverse("participant-add", args=[demo.sid(ESCALATION)])
    names = list(forms.AddParticipantForm.base_fields)

    @SETTINGS
    @given(data=form_data(names))
    def check(data):
        valid = forms.AddParticipantForm(as_querydict(data)).is_valid()
        demo.simulator.reset_request_log()
        response = supervisor_client.post(url, data, **HTMX)
        assert_sane(response)
        if valid:
            assert len(upstream(demo.simulator)) <= 2  # a create, and a label check if its answer is lost
        else:
            assert upstream(demo.simulator) == []
            assert response["HX-Retarget"] == "#add-participant"
            assert "field--invalid" in response.content.decode() or "note--error" in response.content.decode()

    check()


def test_add_participant_hostile_values_in_every_field_send_nothing(supervisor_client, watched):
    """Each field alone set to something hostile, the rest valid: a field error, 0 calls."""
    demo = watched
    url = reverse("participant-add", args=[demo.sid(ESCALATION)])
    base = {"to": "+14155550100", "from_": "+15005550006"}
    for name in forms.AddParticipantForm.base_fields:
        for value in ("\x00", "x" * 5000, "<script>alert(1)</script>", "99999999999"):
            data = {**base, name: value}
            if forms.AddParticipantForm(data).is_valid():
                continue  # e.g. a call reason may be any text: valid
            demo.simulator.reset_request_log()
            response = supervisor_client.post(url, data, **HTMX)
            assert_sane(response)
            assert upstream(demo.simulator) == [], (name, value)
            assert "<script>alert(1)</script>" not in response.content.decode()


def test_conference_announce_form(supervisor_client, watched):
    demo = watched
    url = reverse("conference-announce", args=[demo.sid(ESCALATION)])

    @SETTINGS
    @given(data=form_data(list(forms.AnnounceForm.base_fields)))
    def check(data):
        valid = forms.AnnounceForm(as_querydict(data)).is_valid()
        demo.simulator.reset_request_log()
        response = supervisor_client.post(url, data, **HTMX)
        assert_sane(response)
        assert len(upstream(demo.simulator)) == (1 if valid else 0)
        if not valid:
            assert response["HX-Retarget"] == "#conference-announce-error"

    check()


def test_conference_end_ignores_hostile_bodies_and_bad_sids(supervisor_client, watched):
    demo = watched
    demo.simulator.reset_request_log()
    for sid in ("CF" + "0" * 31, "CF" + "x" * 32, "<script>", "\x00"):
        response = supervisor_client.post(f"/conferences/{quote(sid, safe='')}/end/", {"status": "completed"}, **HTMX)
        assert response.status_code == 404
    assert upstream(demo.simulator) == []
    # A well-formed SID Twilio does not know: one call, a clear message, no 500.
    response = supervisor_client.post(reverse("conference-end", args=["CF" + "0" * 32]), {"junk": "\x00"}, **HTMX)
    assert response.status_code == 200 and "20404" in response.content.decode()


def test_conference_list_filter(supervisor_client, watched):
    demo = watched
    supervisor_client.get(reverse("conference-list"))  # the live list is now cached for the interval

    @SETTINGS
    @given(q=field_value, extra=st.dictionaries(st.sampled_from(["page", "version", "junk"]), values, max_size=2))
    def check(q, extra):
        demo.simulator.reset_request_log()
        response = supervisor_client.get(reverse("conference-list"), {"q": q, **extra}, **HTMX)
        assert_sane(response)
        assert upstream(demo.simulator) == []
        text = q if isinstance(q, str) else ""
        if "<script>" in text:
            assert "<script>alert" not in response.content.decode()

    check()


@pytest.fixture
def auditor(django_user_model, db):
    from conference_admin.access.roles import ADMIN, assign_role

    user = django_user_model.objects.create_user("auditor")
    assign_role(user, ADMIN)
    client = Client()
    client.force_login(user)
    return client


def test_audit_filters(auditor, watched):
    demo = watched
    names = ["user", "conference", "action", "outcome", "since", "until", "page"]

    @SETTINGS
    @given(data=form_data(names))
    def check(data):
        demo.simulator.reset_request_log()
        for name in ("audit-list", "audit-export"):
            response = auditor.get(reverse(name), data)
            assert_sane(response)
            if name == "audit-export":
                b"".join(response.streaming_content)
        assert upstream(demo.simulator) == []

    check()


def test_participant_table_version_parameter(supervisor_client, watched):
    demo = watched

    @SETTINGS
    @given(version=field_value)
    def check(version):
        response = supervisor_client.get(
            reverse("participant-table", args=[demo.sid(ESCALATION)]), {"version": version}, **HTMX
        )
        assert response.status_code in (200, 204)

    check()


# --- webhooks -----------------------------------------------------------------------------

PUBLIC = "https://dash.example.com"
TOKEN = "fault-test-token"
WEBHOOK_FIELDS = [
    "AccountSid",
    "ConferenceSid",
    "FriendlyName",
    "SequenceNumber",
    "Timestamp",
    "StatusCallbackEvent",
    "CallSid",
    "Muted",
    "Hold",
    "Coaching",
    "EndConferenceOnExit",
    "StartConferenceOnEnter",
    "ParticipantLabel",
    "ParticipantCallStatus",
    "ReasonParticipantLeft",
    "ReasonConferenceEnded",
    "CallStatus",
    "AnnounceUrl",
]
GOOD = {
    "ConferenceSid": st.just("CF" + "ab" * 16),
    "CallSid": st.just("CA" + "a1" * 16),
    "StatusCallbackEvent": st.sampled_from(
        ["participant-join", "participant-mute", "participant-leave", "conference-end", "bogus", ""]
    ),
    "CallStatus": st.sampled_from(["ringing", "completed", "in-progress", "exploded"]),
}


def webhook_params():
    hostile = st.dictionaries(st.sampled_from(WEBHOOK_FIELDS), values, max_size=len(WEBHOOK_FIELDS))
    plausible = st.fixed_dictionaries({}, optional={k: v for k, v in GOOD.items()})
    return st.tuples(plausible, hostile).map(lambda pair: {**pair[0], **pair[1]})


@pytest.mark.parametrize(
    "path", ["/webhooks/twilio/conference-status", "/webhooks/twilio/call-status?conference=" + "CF" + "ab" * 16]
)
def test_webhooks_with_hostile_parameters(db, settings, simulator, path):
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.TWILIO_AUTH_TOKEN = TOKEN
    anonymous = Client()

    @SETTINGS
    @given(params=webhook_params(), signed=st.booleans())
    def check(params, signed):
        signature = compute_signature(TOKEN, PUBLIC + path, params) if signed else "bm90IGEgc2lnbmF0dXJl"
        simulator.reset_request_log()
        response = anonymous.post(path, params, headers={"X-Twilio-Signature": signature})
        if signed:
            assert response.status_code in (204, 400), response.content[:300]
        else:
            assert response.status_code == 403
        assert upstream(simulator) == []

    check()


# --- labels through the path encoding ---------------------------------------------------------

ROUND_TRIP_LABELS = [
    "agent:with space",
    "a#b",
    "100% sure",
    "50%25",
    "名前:ünï 💥",
    "q?x=1&y=2",
    "dots...",
    "plus+sign",
    "back\\slash",
]


@pytest.mark.parametrize("label", ROUND_TRIP_LABELS)
def test_labels_round_trip_through_the_path(twilio_client, simulator, label):
    created = twilio_client.create_participant("Label room", from_="+15005550006", to="+14155550123", label=label)
    assert created.label == label
    conference_sid = created.conference_sid
    fetched = twilio_client.fetch_participant(conference_sid, label)
    assert (fetched.call_sid, fetched.label) == (created.call_sid, label)
    updated = twilio_client.update_participant(conference_sid, label, muted=True)
    assert updated.call_sid == created.call_sid and updated.muted is True
    twilio_client.delete_participant(conference_sid, label)
    with pytest.raises(TwilioApiError) as gone:
        twilio_client.fetch_participant(conference_sid, label)
    assert gone.value.is_not_found


@SETTINGS
@given(
    label=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
        lambda s: "/" not in s and "%2f" not in s.lower() and s.strip() == s and s.strip()
    )
)
def test_any_label_round_trips(twilio_client, simulator, label):
    simulator.reset()
    created = twilio_client.create_participant("Label room", from_="+15005550006", to="+14155550124", label=label)
    fetched = twilio_client.fetch_participant(created.conference_sid, label)
    assert (fetched.call_sid, fetched.label) == (created.call_sid, label)


@pytest.mark.parametrize("label", ["a/b", "x%2Fy", "/"])
def test_a_slash_in_a_label_is_twilio_16024(twilio_client, simulator, label):
    with pytest.raises(TwilioApiError) as refused:
        twilio_client.create_participant("Label room", from_="+15005550006", to="+14155550125", label=label)
    assert refused.value.code == 16024 and refused.value.status == 400
    assert "16024" in str(refused.value)


@pytest.mark.parametrize("label", ["a/b", "x%2fy"])
def test_the_add_form_refuses_a_slash_in_a_label_without_calling_twilio(supervisor_client, watched, label):
    demo = watched
    demo.simulator.reset_request_log()
    response = supervisor_client.post(
        reverse("participant-add", args=[demo.sid(ESCALATION)]),
        {"to": "+14155550100", "from_": "+15005550006", "label": label},
        **HTMX,
    )
    assert "A label cannot contain" in response.content.decode()
    assert upstream(demo.simulator) == []


def test_the_add_form_round_trips_a_unicode_label_with_spaces_and_percent(supervisor_client, watched):
    demo = watched
    label = "customer:Zoë 100% #1"
    response = supervisor_client.post(
        reverse("participant-add", args=[demo.sid(ESCALATION)]),
        {"to": "+14155550100", "from_": "+15005550006", "label": label},
        **HTMX,
    )
    assert response.status_code == 200
    placed = demo.participant(ESCALATION, label)
    assert placed.label == label and f'id="participant-{placed.call_sid}"' in response.content.decode()
    due(demo.sid(ESCALATION))
    mute = supervisor_client.post(
        reverse("participant", args=[demo.sid(ESCALATION), placed.call_sid]), {"action": "mute"}, **HTMX
    )
    assert mute.status_code == 200 and demo.participant(ESCALATION, label).muted is True
