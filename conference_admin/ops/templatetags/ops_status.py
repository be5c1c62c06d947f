"""`{% dependency_banner %}`: the banner naming the dependencies that are down, drawn with the
page and refreshed by itself (ops/views.py `dependency_status`)."""

from django import template

from ..status import banner_context

register = template.Library()


@register.inclusion_tag("ops/_dependency_banner.html")
def dependency_banner() -> dict[str, object]:
    return banner_context(refresh=False)  # what is known; its own refresh runs the checks
