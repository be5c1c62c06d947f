from django.contrib import admin

from .models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the trail is append-only (retention: `prune_audit`)."""

    list_display = (
        "created_at",
        "actor_username",
        "action",
        "conference_sid",
        "participant_label",
        "outcome",
        "error_code",
    )
    list_filter = ("outcome", "action")
    # A request id from a log line or a response's X-Request-ID finds the record it made.
    search_fields = ("actor_username", "conference_sid", "participant_sid", "participant_label", "request_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
