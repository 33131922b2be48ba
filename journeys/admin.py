from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from journeys.graph import GraphError, graph_check
from journeys.models import (
    FailedTask,
    Handoff,
    Journey,
    JourneyEvent,
    JourneyType,
    OutgoingEmail,
    SecrecyGround,
    SecrecyMarking,
    Step,
    StepType,
)


class StepTypeForm(forms.ModelForm):
    """A step type with its dependencies named by key, so that the steps of a journey type
    being added can depend on one another (and on nothing outside it)."""

    depends_on_keys = forms.CharField(
        label=_("depends on"),
        required=False,
        help_text=_("The keys of the steps it waits for, separated by commas."),
    )

    class Meta:
        model = StepType
        fields = [
            "order",
            "key",
            "name",
            "unit",
            "deadline_days",
            "fee",
            "invoice_at",
            "pay_before_decision",
            "applies_if",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            keys = self.instance.depends_on.values_list("key", flat=True)
            self.initial["depends_on_keys"] = ", ".join(keys)

    def clean(self):
        """The fee rules journeys.definitions checks in files (payments app)."""
        data = super().clean()
        fee, invoice_at, unit = data.get("fee"), data.get("invoice_at"), data.get("unit")
        if data.get("pay_before_decision") and not (fee and invoice_at == "submission"):
            raise ValidationError(
                _("Approval can wait for payment only of a fee invoiced at submission.")
            )
        if fee and invoice_at and unit and not unit.bankgiro:
            raise ValidationError(_("Give the unit a bankgiro number before invoicing its fees."))
        return data

    def clean_depends_on_keys(self) -> list[str]:
        text = self.cleaned_data["depends_on_keys"]
        return [key.strip() for key in text.split(",") if key.strip()]


class StepTypeFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        forms_kept = [
            form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        graph = {
            form.cleaned_data.get("key"): form.cleaned_data.get("depends_on_keys", [])
            for form in forms_kept
        }
        try:
            graph_check(graph)
        except GraphError as error:
            if error.kind == "cycle":
                message = _("The steps' dependencies form a cycle: %(cycle)s.") % {
                    "cycle": " → ".join(str(key) for key in error.nodes)
                }
            else:
                message = _(
                    "Step %(step)s depends on %(key)s, which is not a step of this journey type."
                ) % {
                    "step": error.nodes[0],
                    "key": error.nodes[1],
                }
            raise ValidationError(message) from None

    def save(self, commit=True):
        step_types = super().save(commit=commit)
        by_key = {form.instance.key: form.instance for form in self.forms if form.instance.pk}
        for form in self.forms:
            if form.instance.pk and form.cleaned_data and not form.cleaned_data.get("DELETE"):
                keys = form.cleaned_data.get("depends_on_keys", [])
                form.instance.depends_on.set(by_key[key] for key in keys)
        return step_types


class StepTypeInline(admin.TabularInline):
    model = StepType
    form = StepTypeForm
    formset = StepTypeFormSet
    extra = 0
    fields = [
        "order",
        "key",
        "name",
        "unit",
        "depends_on_keys",
        "deadline_days",
        "fee",
        "invoice_at",
        "pay_before_decision",
        "applies_if",
    ]


@admin.register(JourneyType)
class JourneyTypeAdmin(admin.ModelAdmin):
    """Published definitions come from `load_journey_type`; a change there makes a new version,
    so published versions are shown here but not edited in place. A journey type added here is
    checked like a file: its steps' dependencies must form a graph of its own steps."""

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


@admin.register(SecrecyGround)
class SecrecyGroundAdmin(admin.ModelAdmin):
    """The list of secrecy grounds caseworkers choose from: added and retitled here, withdrawn
    by unticking "offered" (a ground that markings name cannot be deleted)."""

    list_display = ["label", "title", "title_sv", "active"]
    list_filter = ["active"]
    search_fields = ["title", "title_sv"]
    fields = ["chapter", "section", "section_letter", "title", "title_sv", "active"]

    @admin.display(description=_("provision"), ordering="chapter")
    def label(self, ground: SecrecyGround) -> str:
        return ground.label

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.markings.exists()


@admin.register(SecrecyMarking)
class SecrecyMarkingAdmin(ReadOnlyAdmin):
    """Markings, to read: they are made and removed on the case page, which writes the journey's
    events; the list shows the removed ones too."""

    list_display = ["marked_at", "journey", "unit", "ground", "document", "field_key", "removed_at"]
    list_filter = [("removed_at", admin.EmptyFieldListFilter), "ground"]
    search_fields = ["journey__reference"]
    list_select_related = ["journey", "unit", "ground", "document"]


admin.site.site_header = _("Journey portal administration")
