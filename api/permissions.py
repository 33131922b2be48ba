from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsApiClient(BasePermission):
    """A token of an active client; a coordination client reads only."""

    def has_permission(self, request, view) -> bool:
        client = getattr(request.user, "api_client", None)
        if client is None:
            return False
        return request.method in SAFE_METHODS or not client.read_only


class IsAnyApiClient(BasePermission):
    """A token of an active client, reading or writing: a coordination client, read-only
    elsewhere, manages its own webhook subscriptions."""

    def has_permission(self, request, view) -> bool:
        return getattr(request.user, "api_client", None) is not None
