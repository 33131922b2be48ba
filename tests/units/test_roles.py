"""What a signed-in person may do, read in one query on every page."""

from django.contrib.auth.models import Group, Permission

from tests.factories import make_user
from units.models import Membership
from units.roles import roles_of


def fresh(user):
    """The user as the next request loads it (roles are cached on the user object)."""
    return type(user).objects.get(pk=user.pk)


def test_roles_come_from_memberships_and_the_coordinate_permission(
    units, django_assert_num_queries
):
    citizen, caseworker, lead = make_user(), make_user(), make_user()
    unit, other = units["urban-planning"], units["tax-agency"]
    Membership.objects.create(user=caseworker, unit=unit, role=Membership.Role.CASEWORKER)
    Membership.objects.create(user=lead, unit=unit, role=Membership.Role.LEAD)
    Membership.objects.create(user=lead, unit=other, role=Membership.Role.CASEWORKER)

    with django_assert_num_queries(1):
        roles = roles_of(lead)
    assert roles.unit_ids == {unit.pk, other.pk} and roles.lead_unit_ids == {unit.pk}
    assert not roles.is_coordinator
    assert roles_of(caseworker).unit_ids == {unit.pk} and roles_of(caseworker).is_caseworker
    assert roles_of(citizen).is_citizen


def test_the_coordinate_permission_counts_directly_through_a_group_and_for_superusers(units):
    coordinate = Permission.objects.get(codename="coordinate")
    direct, grouped, superuser = make_user(), make_user(), make_user()
    direct.user_permissions.add(coordinate)
    group = Group.objects.create(name="Coordinators")
    group.permissions.add(coordinate)
    grouped.groups.add(group)
    superuser.is_superuser = True
    superuser.save()
    for user in (direct, grouped, superuser):
        assert roles_of(fresh(user)).is_coordinator
        assert fresh(user).has_perm("units.coordinate")  # the same answer as Django's

    grouped.groups.remove(group)
    direct.is_active = False
    direct.save()
    assert not roles_of(fresh(grouped)).is_coordinator
    assert not roles_of(fresh(direct)).is_coordinator


def test_cached_roles_change_with_memberships_groups_and_permissions(units):
    from django.core.cache import cache

    user = make_user()
    unit = units["urban-planning"]
    assert roles_of(fresh(user)).is_citizen
    assert roles_of(fresh(user)).is_citizen  # now from the cache
    membership = Membership.objects.create(user=user, unit=unit, role=Membership.Role.CASEWORKER)
    assert roles_of(fresh(user)).unit_ids == {unit.pk}
    membership.role = Membership.Role.LEAD
    membership.save()
    assert roles_of(fresh(user)).lead_unit_ids == {unit.pk}
    membership.delete()
    assert roles_of(fresh(user)).is_citizen

    group = Group.objects.create(name="Coordinators")
    user.groups.add(group)
    assert not roles_of(fresh(user)).is_coordinator
    group.permissions.add(Permission.objects.get(codename="coordinate"))
    assert roles_of(fresh(user)).is_coordinator
    group.delete()
    assert not roles_of(fresh(user)).is_coordinator

    user.is_staff = True
    user.save()
    assert roles_of(fresh(user)).is_admin
    cache.clear()  # an evicted generation number: roles are read again, not trusted
    assert roles_of(fresh(user)).is_admin


def test_roles_come_from_the_cache_without_a_query(units, django_assert_num_queries):
    user = make_user()
    roles_of(fresh(user))
    again = fresh(user)
    with django_assert_num_queries(0):
        assert roles_of(again).is_citizen


def test_a_change_while_roles_are_read_is_not_cached_as_current(units, monkeypatch):
    """The cache had lost its generation number; the membership is removed between reading
    the roles and storing them: the next request must not see the removed role."""
    from django.core.cache import cache

    from units import roles as roles_module

    user = make_user()
    membership = Membership.objects.create(
        user=user, unit=units["urban-planning"], role=Membership.Role.LEAD
    )
    cache.clear()
    read = roles_module._roles_from_database

    def read_then_lose_the_role(who):
        found = read(who)
        membership.delete()
        return found

    monkeypatch.setattr(roles_module, "_roles_from_database", read_then_lose_the_role)
    assert roles_of(fresh(user)).lead_unit_ids  # what it read, before the change
    monkeypatch.setattr(roles_module, "_roles_from_database", read)
    assert roles_of(fresh(user)).is_citizen


def test_who_marks_secrecy_and_who_makes_a_public_access_copy():
    from units.roles import Roles, may_make_public_copy, may_mark_secret

    caseworker = Roles(unit_ids=frozenset({1}))
    lead = Roles(unit_ids=frozenset({1}), lead_unit_ids=frozenset({1}))
    coordinator = Roles(is_coordinator=True)
    finance = Roles(finance_unit_ids=frozenset({1}))
    # The unit's caseworkers and leads mark on its cases; nobody else (a coordinator reads).
    assert may_mark_secret(caseworker, unit_id=1) and may_mark_secret(lead, unit_id=1)
    assert not may_mark_secret(caseworker, unit_id=2)
    assert not may_mark_secret(coordinator, unit_id=1) and not may_mark_secret(finance, unit_id=1)
    # Coordinators make any journey's copy; a unit's lead those of the types the unit owns.
    assert may_make_public_copy(coordinator, owner_unit_id=None)
    assert may_make_public_copy(lead, owner_unit_id=1)
    assert not may_make_public_copy(lead, owner_unit_id=None)
    assert not may_make_public_copy(lead, owner_unit_id=2)
    assert not may_make_public_copy(caseworker, owner_unit_id=1)
