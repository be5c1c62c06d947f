from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from conference_admin.audit.models import AuditRecord
from conference_admin.history.models import ConferenceRecord, ParticipantSession

from .factories import conference_sid, make_conference

pytestmark = pytest.mark.django_db


def test_prune_removes_history_older_than_the_retention_and_audits_itself(settings):
    settings.HISTORY_RETENTION_DAYS = 90
    now = timezone.now()
    make_conference(1, start=now - timedelta(days=120), participants=3)
    make_conference(2, start=now - timedelta(days=30), participants=2)
    make_conference(3, start=now - timedelta(days=200), participants=1, ended=False)  # its end was never seen
    ConferenceRecord.objects.filter(sid=conference_sid(3)).update(created_at=now - timedelta(days=200))
    make_conference(4, start=now - timedelta(days=1), participants=1, ended=False)  # live now

    out = StringIO()
    call_command("prune_history", stdout=out)

    assert set(ConferenceRecord.objects.values_list("sid", flat=True)) == {conference_sid(2), conference_sid(4)}
    assert ParticipantSession.objects.count() == 3
    assert "2 conferences, 4 participants" in out.getvalue()
    record = AuditRecord.objects.get(action="history:prune")
    assert (record.actor_username, record.outcome) == ("system", "ok")
    assert record.parameters["retention_days"] == 90 and record.parameters["conferences"] == 2
    assert record.parameters["participants"] == 4


def test_days_option_overrides_the_setting_and_must_be_positive():
    now = timezone.now()
    make_conference(1, start=now - timedelta(days=10))
    call_command("prune_history", "--days", "5", stdout=StringIO())
    assert not ConferenceRecord.objects.exists()
    with pytest.raises(CommandError):
        call_command("prune_history", "--days", "0", stdout=StringIO())
    assert AuditRecord.objects.filter(action="history:prune").count() == 1
