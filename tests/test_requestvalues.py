"""The one parser for request values: what it takes, what it refuses, and the pages that use it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.urls import reverse

from conference_admin.access.roles import OBSERVER, assign_role
from conference_admin.requestvalues import (
    FIRST_DAY,
    LAST_DAY,
    DayField,
    MomentField,
    Refused,
    WholeNumberField,
    day,
    moment,
    page_number,
    whole_number,
    whole_number_or,
)

from .history.factories import conference_sid, make_conference

NOT_NUMBERS = ["²", "٣٤", "1²", "-1", "+1", " 1", "1 ", "1_000", "1\x00", "0x10", "1.0", "9" * 5000, "9" * 20]


@pytest.mark.parametrize("raw", NOT_NUMBERS)
def test_a_number_is_ascii_digits_within_64_bits_or_refused(raw: str) -> None:
    with pytest.raises(Refused):
        whole_number(raw, name="version")


def test_numbers_taken() -> None:
    assert whole_number("0", name="v") == 0
    assert whole_number("0042", name="v") == 42
    assert whole_number(str(2**63 - 1), name="v") == 2**63 - 1
    assert whole_number(None, name="v") is None and whole_number("", name="v") is None
    with pytest.raises(Refused, match="at most 9"):
        whole_number("10", name="v", maximum=9)
    with pytest.raises(Refused, match="at least 1"):
        whole_number("0", name="v", minimum=1)


def test_ignoring_pages_get_their_default() -> None:
    assert whole_number_or("²", 0, name="from") == 0
    assert whole_number_or("", 7, name="from") == 7
    assert whole_number_or("12", 0, name="from") == 12
    assert page_number("0") == 1 and page_number("٣") == 1 and page_number("3") == 3 and page_number(None) == 1


@pytest.mark.parametrize("raw", ["9999-12-31", "0001-01-01", "٢٠٢٦-01-01", "2026-02-30", "20261207", "2026-W49-1", "x"])
def test_a_day_outside_the_calendars_safe_range_or_malformed_is_refused(raw: str) -> None:
    with pytest.raises(Refused):
        day(raw, name="until")


def test_days_and_moments_taken() -> None:
    assert day("2026-12-07", name="d") == date(2026, 12, 7)
    assert day(LAST_DAY.isoformat(), name="d") == LAST_DAY and day(FIRST_DAY.isoformat(), name="d") == FIRST_DAY
    assert moment("2026-12-07T10:30", name="m") == datetime(2026, 12, 7, 10, 30)
    assert moment("2026-12-07 10:30:05.5", name="m") == datetime(2026, 12, 7, 10, 30, 5, 500000)
    with pytest.raises(Refused):
        moment("9999-12-31T23:59", name="m")
    with pytest.raises(Refused):
        moment("2026-12-07T25:00", name="m")


def test_form_fields_refuse_with_a_form_error() -> None:
    assert WholeNumberField(required=False).clean("30") == 30
    assert DayField(required=False).clean("2026-12-07") == date(2026, 12, 7)
    for field, raw in ((WholeNumberField(), "٣"), (DayField(), "9999-12-31"), (MomentField(), "0001-01-01T00:00")):
        with pytest.raises(Exception, match="expected|date from|digits"):
            field.clean(raw)


@pytest.fixture
def observer(client, django_user_model, db):
    user = django_user_model.objects.create_user("observer")
    assign_role(user, OBSERVER)
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["history-list", "history-search"])
@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01"])
def test_history_at_the_calendars_end_says_so_instead_of_failing(observer, name: str, until: str) -> None:
    make_conference(1)
    response = observer.get(reverse(name), {"period": "range", "until": until, "participant": "agent"})
    assert response.status_code == 200
    assert "a date from 0001-01-02 to 9999-12-30" in response.content.decode()


def test_history_search_export_at_the_calendars_end_downloads_whole(observer, django_user_model) -> None:
    from conference_admin.access.roles import SUPERVISOR

    assign_role(django_user_model.objects.get(username="observer"), SUPERVISOR)
    make_conference(1)
    response = observer.get(reverse("history-search-export"), {"participant": "agent", "until": "9999-12-31"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode().count("\n") == 1  # the header: an invalid search


@pytest.mark.parametrize("start", ["²", "9" * 5000, "-5", "\x00"])
def test_a_report_with_an_unreadable_offset_shows_the_first_slice(observer, start: str) -> None:
    make_conference(1)
    response = observer.get(reverse("history-report", args=[conference_sid(1)]), {"from": start})
    assert response.status_code == 200


def test_a_search_folds_white_space_and_refuses_control_characters():
    from conference_admin.requestvalues import Refused, search_words

    assert search_words(None, name="q") == "" and search_words("", name="q") == ""
    assert search_words("  cancel \t my\naccount ", name="q") == "cancel my account"
    assert len(search_words("x" * 500, name="q")) == 200
    for hostile in ("can\x00cel", "\x1b[2J", "del\x7f"):
        with pytest.raises(Refused):
            search_words(hostile, name="q")
