"""Every page's validator goes stale when a name it shows changes (journeys.versions): a unit's
or a service's, a step's, a staff member's (their name, their phone on the contact card), an
organisation's, an API client's (named as a case's holder). Admin edits and sign-ins that bring
new names save these rows one by one, so their signals see every such change."""

from django.apps import apps
from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save

from journeys.versions import catalogue_changed

CATALOGUE_MODELS = [
    "units.Unit",
    "units.StaffProfile",
    "journeys.JourneyType",
    "journeys.StepType",
    "organisations.Organisation",
    "api.ApiClient",
]


def _changed(**kwargs) -> None:
    catalogue_changed()


def _user_saved(created=False, update_fields=None, **kwargs) -> None:
    if created:
        return  # nobody's page shows a person who has just been made
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # signing in or changing a password changes no name
    catalogue_changed()


def connect() -> None:
    for label in CATALOGUE_MODELS:
        model = apps.get_model(label)
        post_save.connect(_changed, sender=model, dispatch_uid=f"catalogue-saved-{label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"catalogue-deleted-{label}")
    step_type = apps.get_model("journeys.StepType")
    m2m_changed.connect(
        _changed, sender=step_type.depends_on.through, dispatch_uid="catalogue-depends-on"
    )
    user = apps.get_model(settings.AUTH_USER_MODEL)
    post_save.connect(_user_saved, sender=user, dispatch_uid="catalogue-user-saved")
    post_delete.connect(_changed, sender=user, dispatch_uid="catalogue-user-deleted")
