"""What a signed-in person may do: citizen, caseworker of some units, unit lead, coordinator."""

from dataclasses import dataclass, field

from django.contrib.auth.models import Permission
from django.db.models import IntegerField, Q, Value

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


COORDINATE = "coordinate"  # the role value that marks the permission in _role_rows


def roles_of(user) -> Roles:
    """The user's roles, computed once per request (cached on the user object) in one query."""
    if not user.is_authenticated:
        return Roles()
    cached = getattr(user, "_portal_roles", None)
    if cached is not None:
        return cached
    rows = _role_rows(user)
    roles = Roles(
        unit_ids=frozenset(unit for unit, role in rows if role != COORDINATE),
        lead_unit_ids=frozenset(unit for unit, role in rows if role == Membership.Role.LEAD),
        is_coordinator=user.is_active
        and (user.is_superuser or any(role == COORDINATE for _, role in rows)),
        is_admin=user.is_staff,
    )
    user._portal_roles = roles
    return roles


def _role_rows(user) -> list[tuple[int | None, str]]:
    """(unit, role) for each membership, and (None, COORDINATE) if the user holds
    `units.coordinate` directly or through a group: what Django's has_perm reads in two
    queries, and the memberships, in one."""
    memberships = Membership.objects.filter(user=user).values_list("unit_id", "role")
    permission = (
        Permission.objects.filter(content_type__app_label="units", codename=COORDINATE)
        .filter(Q(user=user) | Q(group__user=user))
        .values_list(Value(None, output_field=IntegerField()), Value(COORDINATE))
        .order_by()
    )
    return list(memberships.order_by().union(permission, all=True))
