"""The Content Security Policy lets the sign-in and sign-out forms lead to the configured OpenID
providers: their answer redirects the browser there, and `form-action` covers redirects."""

from urllib.parse import urlsplit

from accounts.openid import EID, STAFF, provider


def provider_origins() -> list[str]:
    origins = []
    for name in (EID, STAFF):
        config = provider(name)
        if config is not None:
            url = urlsplit(config.issuer)
            origins.append(f"{url.scheme}://{url.netloc}")
    return sorted(set(origins))


class ProviderFormActionMiddleware:
    """Add the providers' origins to `form-action` (before django-csp writes the header, so
    this middleware comes after csp.middleware.CSPMiddleware in MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        origins = provider_origins()
        if origins:
            update = dict(getattr(response, "_csp_update", None) or {})
            update["form-action"] = [*update.get("form-action", []), *origins]
            response._csp_update = update
        return response
