"""Who may pause and resume recordings, and who may start and stop them.

The permissions are created by Django after migrate; existing role groups get them once in
0003 (a new database's groups get them as defaults, `access.roles.ensure_roles`):
Supervisor pauses and resumes, Lead and Admin also start and stop.
"""

from django.db import migrations

from ._moderation import moderation_options


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]

    operations = [
        migrations.AlterModelOptions(
            name="moderation",
            options=moderation_options(through="0002"),
        ),
    ]
