"""What changes a person's standing in the units: the language staff are written to in, and
the memberships and coordinator permission their organisation's sign-in grants."""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction

from units.models import Membership, StaffProfile, Unit
from units.roles import COORDINATE, roles_changed, roles_of

logger = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class StaffGrants:
    """What a member of staff's claims grant: a role in each unit (by slug), and whether they
    coordinate."""

    roles: dict[str, str] = field(default_factory=dict)
    coordinator: bool = False

    @property
    def any(self) -> bool:
        return bool(self.roles) or self.coordinator


@transaction.atomic
def staff_roles_sync(*, user, grants: StaffGrants) -> bool:
    """Make the user's memberships and coordinator permission what `grants` say, no more: a
    membership or the permission no longer granted is taken away. Returns whether anything
    changed (cached roles are then made stale everywhere)."""
    units = dict(Unit.objects.filter(slug__in=grants.roles).values_list("slug", "pk"))
    for slug in set(grants.roles) - set(units):
        logger.warning("A staff group grants a role in unit %r, which does not exist", slug)
    wanted = {units[slug]: role for slug, role in grants.roles.items() if slug in units}
    held = dict(Membership.objects.filter(user=user).values_list("unit_id", "role"))
    changed = False
    gone = set(held) - set(wanted)
    if gone:
        Membership.objects.filter(user=user, unit_id__in=gone).delete()
        changed = True
    for unit_id, role in wanted.items():
        if held.get(unit_id) != role:
            Membership.objects.update_or_create(user=user, unit_id=unit_id, defaults={"role": role})
            changed = True
    permission = Permission.objects.get(content_type__app_label="units", codename=COORDINATE)
    holds = user.user_permissions.filter(pk=permission.pk).exists()
    if grants.coordinator != holds:
        if grants.coordinator:
            user.user_permissions.add(permission)
        else:
            user.user_permissions.remove(permission)
        changed = True
    if changed:
        roles_changed()
        transaction.on_commit(roles_changed)
    return changed
