"""The conferences list and the conference page show the same alerts for the same roster."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from conference_admin.live import roster as rosters

from .conftest import HUDDLE

CLOCK = re.compile(r"\d+:\d\d(:\d\d)?")


def _normal(text: str) -> str:
    # The two pages are read a moment apart: a running clock may have ticked in between.
    return CLOCK.sub("#", html.unescape(text).strip())


def list_alerts(body: str, conference_sid: str) -> list[str]:
    block = re.search(rf'id="alerts-{conference_sid}"[^>]*>(.*?)</ul>', body, re.S)
    return sorted(_normal(t) for t in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)) if block else []


def page_alerts(body: str) -> list[str]:
    texts = re.findall(r'class="note note--(?:warning|error) conference-alert[^"]*">(.*?)</span>', body, re.S)
    for joined in re.findall(r'class="note note--(?:warning|error) row-warning">(.*?)</span>', body, re.S):
        texts += joined.split(" · ")
    return sorted(_normal(t) for t in texts)


@pytest.fixture
def every_alert(settings):
    settings.SUPERVISION_ALERT_HOLD_SECONDS = 0
    settings.SUPERVISION_ALERT_RINGING_SECONDS = 0
    settings.SUPERVISION_ALERT_WAITING_TO_START_SECONDS = 0


def test_both_pages_show_the_same_alerts_for_every_conference(supervisor_client, demo, every_alert):
    listed = supervisor_client.get(reverse("conference-list")).content.decode()
    shown = []
    for name, conference in demo.conferences.items():
        page = supervisor_client.get(reverse("conference-detail", args=[conference.sid])).content.decode()
        assert page_alerts(page) == list_alerts(listed, conference.sid), name
        shown += page_alerts(page)
    assert "customer:Dana Whitfield on hold #" in shown and "customer:Acme on-call ringing #" in shown


def test_a_lone_caller_in_a_conference_that_has_not_started(supervisor_client, demo, every_alert):
    sid = demo.sid(HUDDLE)
    demo.simulator.hang_up(demo.simulator.account_sid, sid, "agent:grace")
    rosters.release_reconcile(sid)
    page = supervisor_client.get(reverse("conference-detail", args=[sid])).content.decode()
    assert "Waiting to start" in page
    assert "agent:frank is alone, waiting" in page and "for the conference to start" in page
    listed = supervisor_client.get(reverse("conference-list")).content.decode()
    assert page_alerts(page) == list_alerts(listed, sid) != []
