"""The link that finishes a sign-up: signed (so it cannot be made up or changed) and dated (so
an old e-mail cannot be used after SIGNUP_LINK_HOURS)."""

from django.conf import settings
from django.core import signing

SALT = "accounts.signup"


def signup_token_make(*, username: str, email: str) -> str:
    return signing.dumps({"username": username, "email": email}, salt=SALT, compress=True)


def signup_token_read(token: str) -> dict | None:
    """The username and address the link was sent for, or None if it is forged or too old."""
    try:
        return signing.loads(token, salt=SALT, max_age=settings.SIGNUP_LINK_HOURS * 3600)
    except signing.BadSignature:
        return None
