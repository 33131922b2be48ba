"""Who may sign in how, once OpenID providers are configured (docs/security.md, "Identity")."""

from django.conf import settings

from accounts.openid import eid_enabled
from units.roles import roles_of


def password_signin_allowed(user) -> bool:
    """A password opens a citizen's account only while there is no e-ID sign-in, and a member
    of staff's only while STAFF_PASSWORD_SIGNIN is on; a superuser's always (break-glass)."""
    if user.is_superuser:
        return True
    if roles_of(user).is_citizen:
        return not eid_enabled()
    return settings.STAFF_PASSWORD_SIGNIN


def password_form_shown() -> bool:
    """Whether the sign-in page offers a password form at all."""
    return not eid_enabled() or settings.STAFF_PASSWORD_SIGNIN


def local_signup_open() -> bool:
    """Local accounts are made only while there is no e-ID sign-in (the embedded default)."""
    return not eid_enabled()
