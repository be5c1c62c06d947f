"""The template filters every app's pages use: `{% load pages %}` (registered under that name
in settings.TEMPLATES). Imports nothing of ours but `clock.py`."""

from datetime import timedelta

from django import template

from conference_admin.clock import age_text, clock

register = template.Library()

register.filter("clock", clock)


@register.filter
def age(value: timedelta | None) -> str:
    """A coarse age for the conference list: 45s, 12m, 3h 05m."""
    return age_text(value)


@register.filter
def described(bound_field):
    """Render a form field's widget pointing `aria-describedby` at its help text and errors."""
    ids = []
    if bound_field.help_text:
        ids.append(f"{bound_field.auto_id}_helptext")
    if bound_field.errors:
        ids.append(f"{bound_field.auto_id}_error")
    attrs = {"aria-describedby": " ".join(ids)} if ids else {}
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    return bound_field.as_widget(attrs=attrs)
