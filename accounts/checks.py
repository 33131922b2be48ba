"""Checks (`manage.py check`) of the sign-in configuration: an OpenID provider half set up, a
group mapping that cannot be read, or staff left with no way to sign in."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from accounts.claims import grant_error


def _partial(prefix: str) -> list[str]:
    values = {name: getattr(settings, f"{prefix}{name}") for name in _PARTS}
    if any(values.values()) and not all(values.values()):
        return [f"{prefix}{name}" for name, value in values.items() if not value]
    return []


_PARTS = ("ISSUER", "CLIENT_ID", "CLIENT_SECRET")


@register(Tags.security)
def openid_settings_check(app_configs, **kwargs):
    problems = []
    for prefix in ("OIDC_EID_", "OIDC_STAFF_"):
        if missing := _partial(prefix):
            problems.append(
                Error(
                    f"{prefix}* is half set: {', '.join(missing)} missing.",
                    hint="Set the issuer, client id and secret together, or none of them.",
                    id="accounts.E001",
                )
            )
    mapping = settings.OIDC_STAFF_GROUPS
    if not isinstance(mapping, dict):
        problems.append(Error("OIDC_STAFF_GROUPS must be a JSON object.", id="accounts.E002"))
        return problems
    for group, grants in mapping.items():
        for grant in grants if isinstance(grants, list) else [grants]:
            if error := grant_error(grant):
                problems.append(
                    Error(f"OIDC_STAFF_GROUPS[{group!r}]: {error}.", id="accounts.E002")
                )
    if not settings.STAFF_PASSWORD_SIGNIN and not settings.OIDC_STAFF_ISSUER:
        problems.append(
            Warning(
                "STAFF_PASSWORD_SIGNIN is off and there is no staff single sign-on: only a "
                "superuser can sign in as staff.",
                hint="Set OIDC_STAFF_* or turn STAFF_PASSWORD_SIGNIN on.",
                id="accounts.W001",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def openid_issuer_https_check(app_configs, **kwargs):
    """Tokens and keys come from the issuer: in production only over https."""
    return [
        Warning(
            f"{name} is not an https address.",
            hint="An OpenID provider's issuer is an https URL.",
            id="accounts.W002",
        )
        for name in ("OIDC_EID_ISSUER", "OIDC_STAFF_ISSUER")
        if getattr(settings, name) and urlsplit(getattr(settings, name)).scheme != "https"
    ]
