from django.contrib import admin

from .models import Choice


@admin.register(Choice)
class ChoiceAdmin(admin.ModelAdmin):
    """The pick lists supervisors choose from; saving or deleting refreshes the dashboard's copy."""

    list_display = ("name", "kind", "url_or_number", "method", "position")
    list_filter = ("kind",)
    list_editable = ("position",)
    search_fields = ("name", "url_or_number")
    ordering = ("kind", "position", "id")
