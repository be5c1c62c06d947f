"""The supervisor's own number: a small validated profile page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conference_admin.supervision.models import SupervisorProfile
from conference_admin.supervision.services import profile_phone


def test_profile_page_saves_a_valid_number(supervisor_client, django_user_model):
    url = reverse("supervision-profile")
    page = supervisor_client.get(url)
    assert page.status_code == 200 and "supervisor:supervisor" in page.content.decode()
    response = supervisor_client.post(url, {"phone": " +14155550100 "})
    assert response.status_code == 302
    user = django_user_model.objects.get(username="supervisor")
    assert SupervisorProfile.objects.get(user=user).phone == "+14155550100"
    assert profile_phone(user) == "+14155550100"
    supervisor_client.post(url, {"phone": "client:sup_1"})
    assert profile_phone(user) == "client:sup_1"  # the cached number follows a change


@pytest.mark.parametrize("phone", ["", "4155550100", "+1 415 555 0100", "sip:me@example.com", "client:", "<script>"])
def test_profile_page_refuses_anything_else(supervisor_client, phone):
    response = supervisor_client.post(reverse("supervision-profile"), {"phone": phone})
    assert response.status_code == 400
    assert not SupervisorProfile.objects.exists()
    assert "<script>" not in response.content.decode()


def test_nav_links_to_the_profile(supervisor_client, demo):
    assert reverse("supervision-profile") in supervisor_client.get(reverse("conference-list")).content.decode()
