from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api.clients import api_client_revoke
from api.models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Clients are created with `manage.py api_client_create` (which shows the secret once) and
    listed and revoked here."""

    list_display = ["name", "kind", "unit", "client_id", "created_at", "revoked_at"]
    list_filter = ["kind", "unit", "revoked_at"]
    search_fields = ["name", "application__client_id"]
    readonly_fields = ["name", "kind", "unit", "application", "user", "created_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("client id"))
    def client_id(self, client: ApiClient) -> str:
        return client.application.client_id

    @admin.action(description=_("Revoke: its tokens stop working and it gets no new ones"))
    def revoke(self, request, queryset):
        clients = list(queryset.filter(revoked_at__isnull=True))
        for client in clients:
            api_client_revoke(client=client, now=timezone.now())
        self.message_user(
            request,
            ngettext("%d client revoked.", "%d clients revoked.", len(clients)) % len(clients),
            messages.SUCCESS,
        )
