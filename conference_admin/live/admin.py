from django.contrib import admin

from .models import PhraseRule


@admin.register(PhraseRule)
class PhraseRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "match", "side", "severity", "enabled")
    list_filter = ("enabled", "severity", "side", "match")
    search_fields = ("name", "phrases")
