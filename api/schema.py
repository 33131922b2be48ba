"""The OpenAPI description: the client-credentials security scheme, and the answers every
operation may give besides its own (problem documents, the idempotency key's header).

Each operation lists the problem statuses it can answer, so a client (and schemathesis in
tests/api/test_schemathesis.py) can hold the API to its schema: an answer with a status or a
content type the schema does not name is a bug."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from api.problems import PROBLEM_CONTENT_TYPE


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


class FieldErrorSerializer(serializers.Serializer):
    pointer = serializers.CharField(help_text="A JSON pointer to the field in the body (RFC 6901).")
    detail = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """An error, as RFC 9457 problem details (application/problem+json)."""

    type = serializers.CharField(help_text="urn:portal:problem:<code>; see docs/api.md.")
    title = serializers.CharField(help_text="In the client's language (Accept-Language).")
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)
    errors = FieldErrorSerializer(
        many=True, required=False, help_text="A validation error's messages, field by field."
    )

    class Meta:
        ref_name = "Problem"


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[\x21-\x7e]{1,255}$",
    description="Any unique value (a UUID) per intended write: a retry with the same key and "
    "the same request gets the first answer again and the work is done once. Kept 24 hours.",
)
RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."},
}

# The statuses any operation may answer with a problem: a bad filter or cursor (400), no or an
# expired token (401), an unknown or out-of-scope id (404), an Accept the API cannot serve (406),
# and the client's rate limit (429). A write may also be refused to a read-only client (403), be
# too large (413), not be JSON (415) or reuse an idempotency key for another request (422).
READ_PROBLEMS = [400, 401, 404, 406, 429]
WRITE_PROBLEMS = [403, 413, 415]


class PortalAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the problem answers and headers that every operation
    shares, so each operation's own `extend_schema` names only what is its own."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._is_idempotent():
            parameters = [*parameters, IDEMPOTENCY_KEY]
        return parameters

    def _is_idempotent(self) -> bool:
        if self.method != "POST":
            return False
        action = getattr(self.view, getattr(self.view, "action", None) or "post", None)
        return bool(getattr(action, "idempotent", False))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = list(READ_PROBLEMS)
        if self.method == "POST":
            codes += WRITE_PROBLEMS
        if self._is_idempotent():
            codes.append(422)
        problem = self.resolve_serializer(ProblemSerializer, "response").ref
        for code in codes:
            answer = responses.setdefault(str(code), {"description": problem_description(code)})
            answer["content"] = {PROBLEM_CONTENT_TYPE: {"schema": problem}}
            if code == 429:
                answer["headers"] = RETRY_AFTER
        return dict(sorted(responses.items()))


def problem_description(code: int) -> str:
    return {
        400: "The query or the body is not valid (a problem document lists the fields).",
        401: "No valid access token: get one with the client-credentials grant.",
        403: "This client may not do that (a coordination client only reads).",
        404: "Nothing with this id in the client's scope.",
        406: "The API answers JSON only.",
        409: "The step is not in a state that allows this.",
        412: "If-Match names a version that is no longer current.",
        413: "The request is too large.",
        415: "The body must be JSON.",
        422: "The Idempotency-Key was used before for another request.",
        428: "If-Match is required.",
        429: "The client's rate limit: wait Retry-After seconds.",
    }.get(code, "A problem document (RFC 9457).")


def problem_responses(*codes: int) -> dict:
    """An operation's own problem answers: `extend_schema(responses={200: ...,
    **problem_responses(409, 412)})`."""
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemSerializer, description=problem_description(code)
        )
        for code in codes
    }
