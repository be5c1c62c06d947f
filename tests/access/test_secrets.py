"""Secrets stay out of the audit trail, pages and logs."""

from __future__ import annotations

import logging

from django.conf import settings
from django.urls import reverse

from conference_admin.access.roles import ADMIN
from conference_admin.audit.models import AuditRecord
from conference_admin.audit.recorder import REDACTED

from ..dashboard.conftest import ESCALATION

SIP_PASSWORD = "hunter2-do-not-show-9"


def test_an_audited_dial_out_redacts_the_sip_password_everywhere(client_as, demo, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_as(ADMIN)
    response = client.post(
        reverse("participant-add", args=[demo.sid(ESCALATION)]),
        {
            "to": "sip:alice@example.com",
            "from_": "+15005550006",
            "label": "agent:sip",
            "sip_auth_username": "alice",
            "sip_auth_password": SIP_PASSWORD,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    record = AuditRecord.objects.get(action="add")
    assert record.parameters["sip_auth_password"] == REDACTED
    csv = b"".join(client.get(reverse("audit-export")).streaming_content).decode()
    assert REDACTED in csv and SIP_PASSWORD not in csv
    for url in (
        reverse("audit-list"),
        f"/admin/audit/auditrecord/{record.pk}/change/",
        reverse("conference-detail", args=[demo.sid(ESCALATION)]),
    ):
        assert SIP_PASSWORD not in client.get(url).content.decode(), url
    assert SIP_PASSWORD not in response.content.decode()
    assert SIP_PASSWORD not in caplog.text


def test_the_auth_token_never_appears_in_a_page(client_as, demo):
    token = settings.TWILIO_AUTH_TOKEN
    assert token
    client = client_as(ADMIN)
    sid = demo.sid(ESCALATION)
    pages = [
        reverse("login"),
        reverse("conference-list"),
        reverse("conference-detail", args=[sid]),
        reverse("conference-timeline", args=[sid]),
        reverse("participant-table", args=[sid]),
        reverse("audit-list"),
        reverse("audit-export"),
        "/admin/",
        "/admin/dashboard/choice/",
        reverse("conference-detail", args=["CF" + "0" * 32]),
    ]
    for url in pages:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert token.encode() not in body, url
        assert settings.SECRET_KEY.encode() not in body, url
