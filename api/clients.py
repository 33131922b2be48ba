"""Creating and revoking API clients (the management command and the admin call these)."""

import datetime as dt
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils.text import slugify
from oauth2_provider.models import AccessToken, Application

from api.models import ApiClient
from units.models import Membership, Unit
from units.roles import COORDINATE, roles_changed


@transaction.atomic
def api_client_create(
    *, name: str, now: dt.datetime, unit: Unit | None = None
) -> tuple[ApiClient, str]:
    """A client for `unit`'s case system, or a read-only coordination client without one.
    Returns the client and its secret: shown once, stored only hashed."""
    secret = secrets.token_urlsafe(32)
    application = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,  # hashed on save (hash_client_secret)
        hash_client_secret=True,
    )
    username = f"api.{slugify(name)[:100]}.{application.pk}"
    user = get_user_model().objects.create(username=username, first_name=name[:150])
    user.set_unusable_password()
    user.save(update_fields=["password"])
    if unit is not None:
        Membership.objects.create(unit=unit, user=user, role=Membership.Role.CASEWORKER)
    else:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="units", codename=COORDINATE)
        )
    client = ApiClient.objects.create(
        name=name,
        kind=ApiClient.Kind.UNIT if unit else ApiClient.Kind.COORDINATION,
        unit=unit,
        application=application,
        user=user,
        created_at=now,
    )
    roles_changed()
    return client, secret


@transaction.atomic
def api_client_revoke(*, client: ApiClient, now: dt.datetime) -> None:
    """The client's tokens stop working at once and it can get no new ones."""
    ApiClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(revoked_at=now)
    AccessToken.objects.filter(application=client.application).delete()
    get_user_model().objects.filter(pk=client.user_id).update(is_active=False)
    client.refresh_from_db()
    roles_changed()
