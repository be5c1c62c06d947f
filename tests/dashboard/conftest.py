"""Fixtures for the dashboard's view tests: a logged-in supervisor and the demo conferences."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from conference_admin.access.roles import LEAD, assign_role
from conference_admin.simulator.demo import load_demo


@dataclass
class Demo:
    """The simulator's demo conferences, by friendly name, with helpers to read the truth."""

    simulator: object
    conferences: dict

    def sid(self, name: str) -> str:
        return self.conferences[name].sid

    def participant(self, name: str, label: str):
        return self.simulator.fetch_participant(self.simulator.account_sid, self.sid(name), label)

    def call_sid(self, name: str, label: str) -> str:
        return self.participant(name, label).call_sid


BILLING = "Support: billing dispute"
SALES = "Sales: renewal"
ESCALATION = "Escalation: outage #4471"
ONBOARDING = "Onboarding: Northwind"
HUDDLE = "Team huddle (waiting for lead)"


@pytest.fixture
def demo(simulator, db) -> Demo:
    conferences = load_demo(simulator)
    simulator.reset_request_log()
    return Demo(simulator, {c.friendly_name: c for c in conferences})


@pytest.fixture
def supervisor_client(client, django_user_model, db):
    user = django_user_model.objects.create_user("supervisor")  # no password: hashing is slow
    assign_role(user, LEAD)  # every action, including dial-out and ending conferences
    client.force_login(user)
    return client


@pytest.fixture
def seen(supervisor_client, demo):
    """Open a conference page once (as a supervisor does before acting), then clear the log."""

    def open_page(name: str):
        response = supervisor_client.get(reverse("conference-detail", args=[demo.sid(name)]))
        assert response.status_code == 200
        demo.simulator.reset_request_log()
        return response

    return open_page


def upstream(simulator) -> list:
    """The Twilio API requests the dashboard made (simulator control calls excluded)."""
    return simulator.request_log
