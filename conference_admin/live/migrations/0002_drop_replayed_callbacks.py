"""Keep one copy of each Twilio callback stored more than once.

Before the delivery key was the signed content (each distinct value once), a captured
callback re-sent with extra copies of a value was stored again. The copies differ only in
the repeated AccountSid, which is not kept, so they have the same conference, event, call
and detail (SequenceNumber and Timestamp included): the first one stored is kept.
"""

import json

from django.db import migrations

BATCH = 500


def drop_replayed_callbacks(apps, schema_editor):
    ConferenceEvent = apps.get_model("live", "ConferenceEvent")
    seen: set[tuple[str, str, str, str]] = set()
    copies: list[int] = []
    rows = (
        ConferenceEvent.objects.filter(source="twilio")
        .order_by("id")
        .values_list("id", "conference_sid", "event", "call_sid", "detail")
    )
    for pk, conference_sid, event, call_sid, detail in rows.iterator(chunk_size=BATCH):
        content = (conference_sid, event, call_sid, json.dumps(detail, sort_keys=True))
        if content in seen:
            copies.append(pk)
        else:
            seen.add(content)
    for start in range(0, len(copies), BATCH):
        ConferenceEvent.objects.filter(id__in=copies[start : start + BATCH]).delete()


class Migration(migrations.Migration):
    dependencies = [("live", "0001_initial")]

    operations = [migrations.RunPython(drop_replayed_callbacks, migrations.RunPython.noop)]
