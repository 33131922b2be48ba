"""What a signed-in person may do: citizen, caseworker of some units, unit lead, coordinator."""

from dataclasses import dataclass, field

from django.contrib.auth.models import Permission
from django.db.models import Q

from units.models import Membership


@dataclass(frozen=True)
class Roles:
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    lead_unit_ids: frozenset[int] = field(default_factory=frozenset)
    is_coordinator: bool = False
    is_admin: bool = False

    @property
    def is_caseworker(self) -> bool:
        return bool(self.unit_ids)

    @property
    def is_citizen(self) -> bool:
        return not (self.is_caseworker or self.is_coordinator or self.is_admin)


def roles_of(user) -> Roles:
    """The user's roles, computed once per request (cached on the user object)."""
    if not user.is_authenticated:
        return Roles()
    cached = getattr(user, "_portal_roles", None)
    if cached is not None:
        return cached
    memberships = list(Membership.objects.filter(user=user).values_list("unit_id", "role"))
    roles = Roles(
        unit_ids=frozenset(unit_id for unit_id, _ in memberships),
        lead_unit_ids=frozenset(u for u, role in memberships if role == Membership.Role.LEAD),
        is_coordinator=_may_coordinate(user),
        is_admin=user.is_staff,
    )
    user._portal_roles = roles
    return roles


def _may_coordinate(user) -> bool:
    """`user.has_perm("units.coordinate")` in one query instead of two (own and group
    permissions), as it runs on every page."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return (
        Permission.objects.filter(content_type__app_label="units", codename="coordinate")
        .filter(Q(user=user) | Q(group__user=user))
        .exists()
    )
