"""Which address a request comes from, for counting attempts per address."""

from django.conf import settings


def client_address(request) -> str:
    """The connecting address; behind a trusted proxy, the one that proxy saw (the last entry
    it appended to X-Forwarded-For), since the client may have written the earlier ones."""
    if settings.TRUSTED_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
