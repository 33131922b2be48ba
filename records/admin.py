from django.contrib import admin

from records.models import AccessLogEntry


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """The access log, to read: nobody adds, changes or deletes an entry (the database would
    refuse the last two anyway)."""

    list_display = ["at", "user", "api_client", "via", "what", "journey_reference", "step_id"]
    list_filter = ["via", "what"]
    search_fields = ["journey_reference", "user__username"]
    list_select_related = ["user", "api_client"]
    readonly_fields = [
        "at",
        "user",
        "api_client",
        "via",
        "what",
        "journey_reference",
        "journey_id",
        "step_id",
        "document_id",
        "document_name",
        "secrecy_marking_id",
        "secrecy_ground",
        "field_key",
        "path",
    ]
    fields = readonly_fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
