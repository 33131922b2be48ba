from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from journeys.models import (
    FailedTask,
    Handoff,
    Journey,
    JourneyEvent,
    JourneyType,
    OutgoingEmail,
    Step,
    StepType,
)


class StepTypeInline(admin.TabularInline):
    model = StepType
    extra = 0
    fields = ["order", "key", "name", "unit", "depends_on", "deadline_days", "fee", "applies_if"]
    filter_horizontal = ["depends_on"]


@admin.register(JourneyType)
class JourneyTypeAdmin(admin.ModelAdmin):
    """Published definitions come from `load_journey_type`; a change there makes a new version,
    so published versions are shown here but not edited in place."""

    list_display = ["name", "slug", "version", "is_current", "published_at"]
    list_filter = ["is_current"]
    search_fields = ["name", "slug"]
    inlines = [StepTypeInline]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ["step_type", "unit", "status", "assignee", "activated_at", "due_at", "decided_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Journey)
class JourneyAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "journey_type", "applicant", "status", "submitted_at"]
    list_filter = ["status", "journey_type"]
    search_fields = ["reference", "applicant__username"]
    list_select_related = ["journey_type", "applicant"]
    inlines = [StepInline]


@admin.register(JourneyEvent)
class JourneyEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "journey", "kind", "step", "actor"]
    list_filter = ["kind"]
    search_fields = ["journey__reference"]
    list_select_related = ["journey", "step__step_type", "actor"]


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "step", "unit", "kind", "delivered_at", "attempts", "last_error"]
    list_filter = ["kind", ("delivered_at", admin.EmptyFieldListFilter)]
    list_select_related = ["step__journey", "step__step_type", "unit"]


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "journey", "queue", "sent_at", "attempts", "last_error"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["journey__reference"]
    list_select_related = ["journey"]


@admin.register(FailedTask)
class FailedTaskAdmin(ReadOnlyAdmin):
    list_display = ["failed_at", "task_name", "args", "handoff", "outgoing_email", "error"]
    list_filter = ["task_name"]


admin.site.site_header = _("Journey portal administration")
