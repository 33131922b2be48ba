"""What happens to accounts: asking for one, finishing it from the e-mailed link, telling an
account holder about a run of failed sign-ins (e-mails go through the portal's outbox), and the
accounts that e-ID and staff single sign-on reach."""

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.http import urlencode

from accounts.claims import CitizenIdentity
from accounts.models import Person, StaffIdentity
from accounts.tokens import signup_token_make
from journeys.models import Journey, OutgoingEmail
from journeys.services.emails import outgoing_emails_create
from units.models import StaffProfile
from units.services import StaffGrants, staff_roles_sync


class SignupNotPossible(Exception):
    """The username or the address was taken after the link was sent."""


def _account_email(*, address: str, template: str, context: dict, language: str, now) -> None:
    outgoing_emails_create(
        kind=OutgoingEmail.Kind.ACCOUNT,
        address=address,
        template=template,
        context=context,
        language=language,
        now=now,
    )


@transaction.atomic
def signup_request(
    *, username: str, email: str, language: str, next_url: str, now: dt.datetime
) -> None:
    """Answer a request for an account by e-mail, and only by e-mail, so that the page shown is
    the same whether or not the name or the address is in use: the address gets the link that
    finishes the account, or is told that it has an account already (and its username), or that
    the name is taken."""
    users = get_user_model().objects
    holder = users.filter(email__iexact=email).first()
    if holder is not None:
        template, context = "account_exists", {"username": holder.get_username()}
    elif users.filter(username__iexact=username).exists():
        template, context = "account_name_taken", {"username": username}
    else:
        path = reverse(
            "accounts:signup_confirm", args=[signup_token_make(username=username, email=email)]
        )
        if next_url:
            path += "?" + urlencode({"next": next_url})
        template = "account_signup_link"
        context = {"username": username, "path": path, "hours": settings.SIGNUP_LINK_HOURS}
    context["signin_path"] = reverse("login")
    _account_email(address=email, template=template, context=context, language=language, now=now)


def signup_complete(*, username: str, email: str, password: str):
    """Create the account the link was sent for, unless its name or address was taken since."""
    users = get_user_model().objects
    if (
        users.filter(username__iexact=username).exists()
        or users.filter(email__iexact=email).exists()
    ):
        raise SignupNotPossible
    try:
        with transaction.atomic():
            return users.create_user(username=username, email=email, password=password)
    except IntegrityError as error:  # taken by a request that finished at the same moment
        raise SignupNotPossible from error


def _language_of(user) -> str:
    profile = StaffProfile.objects.filter(user=user).first()
    if profile is not None:
        return profile.language
    latest = Journey.objects.filter(applicant=user).order_by("-created_at").first()
    return latest.language if latest else settings.LANGUAGE_CODE


def signin_warning_send(*, user, now: dt.datetime) -> bool:
    """Tell an account holder that their account had many failed sign-ins from several places
    and is slowed down for a while. Returns whether an e-mail was written."""
    if not user.email:
        return False
    _account_email(
        address=user.email,
        template="account_signin_warning",
        context={"username": user.get_username(), "failures": settings.SIGNIN_USERNAME_CEILING},
        language=_language_of(user),
        now=now,
    )
    return True


def _new_username(base: str) -> str:
    """A username not in use: `base` if free, else `base` and a random suffix."""
    users = get_user_model().objects
    name = base[:140]
    while users.filter(username__iexact=name).exists():
        name = f"{base[:140]}-{secrets.token_hex(3)}"
    return name


def person_sign_in(*, identity: CitizenIdentity, now: dt.datetime):
    """The account of the citizen an e-ID names, made at their first sign-in. The personal
    identity number is the key: the same number reaches the same account (and its journeys)
    every time. Their name follows the e-ID's; nothing else about them is kept here."""
    person = (
        Person.objects.select_related("user")
        .filter(personal_identity_number=identity.personal_identity_number)
        .first()
    )
    if person is None:
        try:
            with transaction.atomic():
                user = get_user_model().objects.create_user(
                    # Never the number: usernames appear in logs and to staff.
                    username=_new_username(f"person-{secrets.token_hex(4)}"),
                    first_name=identity.given_name,
                    last_name=identity.family_name,
                )
                return Person.objects.create(
                    user=user,
                    personal_identity_number=identity.personal_identity_number,
                    assurance=identity.assurance,
                    last_signed_in_at=now,
                ).user
        except IntegrityError:  # the same person's first sign-in, finished a moment earlier
            person = Person.objects.select_related("user").get(
                personal_identity_number=identity.personal_identity_number
            )
    Person.objects.filter(pk=person.pk).update(assurance=identity.assurance, last_signed_in_at=now)
    user = person.user
    names = {"first_name": identity.given_name, "last_name": identity.family_name}
    if any(getattr(user, key) != value for key, value in names.items()):
        for key, value in names.items():
            setattr(user, key, value)
        user.save(update_fields=list(names))
    return user


@transaction.atomic
def staff_sign_in(*, issuer: str, claims: dict, grants: StaffGrants, now: dt.datetime):
    """The account of the member of staff the organisation's provider names (by issuer and
    subject), made at their first sign-in, with the memberships and coordinator permission
    their groups grant now, and no others (units.services.staff_roles_sync). None when the
    groups grant nothing and there is no account yet: none is made for them."""
    identity = (
        StaffIdentity.objects.select_related("user")
        .filter(issuer=issuer, subject=claims["sub"])
        .first()
    )
    if identity is None and not grants.any:
        return None
    details = {
        "first_name": str(claims.get("given_name") or "")[:150],
        "last_name": str(claims.get("family_name") or "")[:150],
        "email": str(claims.get("email") or "")[:254],
    }
    if identity is None:
        base = claims.get("preferred_username") or details["email"].split("@")[0] or "staff"
        user = get_user_model().objects.create_user(username=_new_username(str(base)), **details)
        identity = StaffIdentity.objects.create(
            user=user, issuer=issuer, subject=claims["sub"], last_signed_in_at=now
        )
    else:
        user = identity.user
        StaffIdentity.objects.filter(pk=identity.pk).update(last_signed_in_at=now)
        if any(getattr(user, key) != value for key, value in details.items()):
            for key, value in details.items():
                setattr(user, key, value)
            user.save(update_fields=list(details))
    staff_roles_sync(user=user, grants=grants)
    return user
