"""Content-Security-Policy and friends on every HTML response."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conference_admin.access.roles import ADMIN

from ..dashboard.conftest import ESCALATION

REQUIRED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(header: str) -> dict[str, str]:
    parts = [part.strip().split(None, 1) for part in header.split(";") if part.strip()]
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def html_pages(demo):
    sid = demo.sid(ESCALATION)
    return [
        reverse("conference-list"),
        reverse("conference-detail", args=[sid]),
        reverse("conference-timeline", args=[sid]),
        reverse("audit-list"),
        "/admin/",
        "/admin/auth/user/",
        "/admin/auth/group/",
        "/admin/dashboard/choice/",
        "/admin/dashboard/choice/add/",
        "/admin/audit/auditrecord/",
        "/no-such-page/",
        reverse("conference-detail", args=["CF" + "0" * 32]),  # 404 from Twilio
    ]


def assert_strict_csp(response):
    header = response["Content-Security-Policy"]
    found = directives(header)
    for name, value in REQUIRED.items():
        assert found.get(name) == value, f"{name}: {found.get(name)!r} in {header!r}"
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_login_page_has_the_policy(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_strict_csp(response)


def test_every_html_page_has_the_policy_and_no_inline_code(client_as, demo):
    client = client_as(ADMIN)
    for url in html_pages(demo):
        response = client.get(url)
        assert response["Content-Type"].startswith("text/html"), url
        assert_strict_csp(response)
        html = response.content.decode()
        assert ' style="' not in html, f"inline style attribute on {url}"
        assert " onclick=" not in html and "hx-on" not in html and "javascript:" not in html, url


@pytest.mark.parametrize("role", ["Observer"])
def test_refusals_have_the_policy_too(client_as, demo, role):
    response = client_as(role).post(reverse("conference-end", args=[demo.sid(ESCALATION)]))
    assert response.status_code == 403
    assert_strict_csp(response)
