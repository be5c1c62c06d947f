"""Seed the pick lists from the DASHBOARD_* defaults in settings (reversible: empties the table)."""

from django.db import migrations


def seed(apps, schema_editor):
    from conference_admin.dashboard.models import seed_choices

    seed_choices(apps.get_model("dashboard", "Choice"), using=schema_editor.connection.alias)


def unseed(apps, schema_editor):
    apps.get_model("dashboard", "Choice").objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0003_choice")]

    operations = [migrations.RunPython(seed, unseed)]
