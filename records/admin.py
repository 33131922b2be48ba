from django.contrib import admin

from records.models import AccessLogEntry, DisposalRecord, ErasureRequest, LegalHold


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


class _RecordAdmin(admin.ModelAdmin):
    """Retention's records, to read: they change only through records.disposal."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DisposalRecord)
class DisposalRecordAdmin(_RecordAdmin):
    list_display = ["at", "journey_reference", "what", "kind", "rule", "basis", "due_at"]
    list_filter = ["what", "basis", "kind"]
    search_fields = ["journey_reference", "registration_number"]
    show_full_result_count = False


@admin.register(LegalHold)
class LegalHoldAdmin(_RecordAdmin):
    list_display = ["journey", "set_at", "set_by", "reason", "lifted_at", "lifted_by"]
    list_select_related = ["journey", "set_by", "lifted_by"]
    search_fields = ["journey__reference"]


@admin.register(ErasureRequest)
class ErasureRequestAdmin(_RecordAdmin):
    list_display = ["at", "user"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
