"""What changes a person's standing in the units: the language staff are written to in."""

from django.conf import settings

from units.models import StaffProfile
from units.roles import roles_of


def staff_language_remember(*, user, language: str) -> bool:
    """Keep the interface language a member of staff works in as the language of their e-mails.
    Citizens are left alone (messages to them follow each journey's language); an unknown
    language, or the one already kept, changes nothing. Returns whether it changed."""
    if not user.is_authenticated or language not in dict(settings.LANGUAGES):
        return False
    if roles_of(user).is_citizen:
        return False
    profile, created = StaffProfile.objects.get_or_create(
        user=user, defaults={"language": language}
    )
    if created:
        return True
    return bool(
        StaffProfile.objects.filter(pk=profile.pk)
        .exclude(language=language)
        .update(language=language)
    )
