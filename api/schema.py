"""The OpenAPI description of the client-credentials security scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ClientCredentialsScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ClientAuthentication"
    name = "clientCredentials"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "A unit's or coordination's client: `POST /api/v1/oauth/token/` with "
            "`grant_type=client_credentials` and the client's id and secret (HTTP Basic).",
            "flows": {"clientCredentials": {"tokenUrl": "/api/v1/oauth/token/", "scopes": {}}},
        }
