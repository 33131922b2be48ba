"""What a signed-in person may do: citizen, caseworker of some units, unit lead, coordinator."""

import time
from dataclasses import dataclass, field

from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.db.models import IntegerField, Q, Value

from units.models import Membership


@dataclass(frozen=True)
class Roles:
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    lead_unit_ids: frozenset[int] = field(default_factory=frozenset)
    is_coordinator: bool = False
    is_admin: bool = False
    finance_unit_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_caseworker(self) -> bool:
        return bool(self.unit_ids)

    @property
    def is_finance(self) -> bool:
        return bool(self.finance_unit_ids)

    @property
    def is_citizen(self) -> bool:
        return not (self.is_caseworker or self.is_coordinator or self.is_admin or self.is_finance)


COORDINATE = "coordinate"  # the role value that marks the permission in _role_rows


def acts_in_unit(roles: Roles, unit_id: int) -> bool:
    """A caseworker or lead of the unit: may work its cases (a coordinator only reads them)."""
    return unit_id in roles.unit_ids


def leads_unit(roles: Roles, unit_id: int) -> bool:
    return unit_id in roles.lead_unit_ids


def may_mark_secret(roles: Roles, *, unit_id: int) -> bool:
    """A caseworker or lead of the unit whose case it is marks a document or an answer of it as
    subject to secrecy, and removes its unit's markings (a unit that works in its own system
    too: the portal's copy is what secrecy protects)."""
    return acts_in_unit(roles, unit_id)


def may_make_public_copy(roles: Roles, *, owner_unit_id: int | None) -> bool:
    """A coordinator, or a lead of the unit that owns the journey type, makes a journey's
    public-access copy (what a member of the public may receive, marked items withheld)."""
    return roles.is_coordinator or (owner_unit_id is not None and leads_unit(roles, owner_unit_id))


@dataclass(frozen=True)
class CaseActions:
    """What a user may do on one case page."""

    claim: bool = False
    work: bool = False  # decide, ask the applicant, release
    note: bool = False  # journal entries and delay reasons
    reassign: bool = False
    read_as_unit: bool = False


def case_actions(
    roles: Roles,
    *,
    unit_id: int,
    held_by_user: bool,
    queued: bool,
    in_progress: bool,
    active: bool,
    in_own_system: bool = False,
) -> CaseActions:
    """The case page's actions for this user and the step's state: a unit's members claim a
    received case; its holder works it while in progress; members write in the journal while it
    is with the unit; the unit's leads reassign it. A unit that works in its own case system
    works its cases there (through the API), so on the portal's pages they are read-only."""
    in_unit = acts_in_unit(roles, unit_id)
    works_here = in_unit and not in_own_system
    return CaseActions(
        claim=works_here and queued,
        work=works_here and held_by_user and in_progress,
        note=works_here and active,
        reassign=works_here and leads_unit(roles, unit_id) and active,
        read_as_unit=in_unit,
    )


# Roles are read on every page, so they are kept in the cache, under a generation number that
# any change to memberships, permissions, groups or the user's flags moves on (units/signals.py):
# a change applies at the next request in every process that shares the cache (Redis in
# production). ROLES_CACHE_SECONDS bounds how long a process-local cache can lag behind.
GENERATION_KEY = "roles:generation"
ROLES_CACHE_SECONDS = 60


def roles_changed() -> None:
    """Make every cached set of roles stale."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not in the cache yet (or evicted): any new value will do
        cache.set(GENERATION_KEY, time.time_ns(), None)


def roles_of(user) -> Roles:
    """The user's roles: from the cache, or in one query (then cached on the user object for
    the rest of the request, and in the cache for the next)."""
    if not user.is_authenticated:
        return Roles()
    cached = getattr(user, "_portal_roles", None)
    if cached is not None:
        return cached
    key = f"roles:{user.pk}"
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    if generation is not None and key in found and found[key][0] == generation:
        user._portal_roles = found[key][1]
        return user._portal_roles
    if generation is None:  # first use, or the cache lost it: fix one before reading roles
        cache.add(GENERATION_KEY, time.time_ns(), None)
        generation = cache.get(GENERATION_KEY)
    # Read after the generation, so a change committed in between moves the generation on
    # and these roles, if stale, are never taken for current.
    roles = _roles_from_database(user)
    cache.set(key, (generation, roles), ROLES_CACHE_SECONDS)
    user._portal_roles = roles
    return roles


def _roles_from_database(user) -> Roles:
    rows = _role_rows(user)
    return Roles(
        unit_ids=frozenset(
            unit for unit, role in rows if role not in (COORDINATE, Membership.Role.FINANCE)
        ),
        lead_unit_ids=frozenset(unit for unit, role in rows if role == Membership.Role.LEAD),
        is_coordinator=user.is_active
        and (user.is_superuser or any(role == COORDINATE for _, role in rows)),
        is_admin=user.is_staff,
        finance_unit_ids=frozenset(unit for unit, role in rows if role == Membership.Role.FINANCE),
    )


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
