"""Bearer tokens from the client-credentials grant, mapped to the client's own account."""

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.oauth2_validators import OAuth2Validator
from rest_framework import exceptions

from api.models import ApiClient


class ClientCredentialsValidator(OAuth2Validator):
    """DOT's validator, refusing tokens to a revoked client (its secret may still be right)."""

    def authenticate_client(self, request, *args, **kwargs) -> bool:
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        return ApiClient.objects.filter(
            application=request.client, revoked_at__isnull=True
        ).exists()


class ClientAuthentication(OAuth2Authentication):
    """A valid token of an active client: the request acts as that client's account, so every
    scope rule of the portal (a unit's caseworker, or a coordinator reading) applies unchanged.
    `request.auth` is the token; `request.user.api_client` the client."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        _, token = found
        client = (
            ApiClient.objects.select_related("user", "unit")
            .filter(application_id=token.application_id, revoked_at__isnull=True)
            .first()
        )
        if client is None or not client.user.is_active:
            raise exceptions.AuthenticationFailed()
        client.user.api_client = client
        return client.user, token
