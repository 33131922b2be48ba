from django.conf import settings


def contact(request) -> dict:
    """The journey coordinator's contact details, for footers and journey pages."""
    return {"contact": settings.PORTAL_CONTACT}
