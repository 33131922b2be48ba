"""What a signed-in person may do: citizen, caseworker of some units, unit lead, coordinator."""

from dataclasses import dataclass, field

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
        is_coordinator=user.has_perm("units.coordinate"),
        is_admin=user.is_staff,
    )
    user._portal_roles = roles
    return roles
