"""Cached roles (units.roles) go stale when what they are computed from changes."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from units.models import Membership
from units.roles import roles_changed


def _changed(**kwargs) -> None:
    # Now, and again once the change is committed: a request between the two could otherwise
    # cache roles read before the commit under the new generation.
    roles_changed()
    transaction.on_commit(roles_changed)


def _user_saved(created=False, update_fields=None, **kwargs) -> None:
    if created:
        return  # a new person has no cached roles, and nobody else's change
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # signing in or changing a password changes no role
    _changed()


def connect() -> None:
    user = get_user_model()
    post_save.connect(_changed, sender=Membership, dispatch_uid="roles-membership-saved")
    post_delete.connect(_changed, sender=Membership, dispatch_uid="roles-membership-deleted")
    post_save.connect(_user_saved, sender=user, dispatch_uid="roles-user-saved")
    post_delete.connect(_changed, sender=Group, dispatch_uid="roles-group-deleted")
    for through, name in (
        (user.groups.through, "groups"),
        (user.user_permissions.through, "user-permissions"),
        (Group.permissions.through, "group-permissions"),
    ):
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"roles-{name}")
