"""Each record names the dashboard request that made it (`request_id`, its X-Request-ID).

Written with the record (INSERT) and never changed: the append-only trigger (0002, 0003) needs
no change. Its settling exception compares the whole row but the settled fields, so a settle
that tried to change `request_id` would be refused like any other edit; adding a nullable
column rewrites no row, so the trigger does not fire.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_pending_attempts")]

    operations = [
        migrations.AddField(
            model_name="auditrecord",
            name="request_id",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
    ]
