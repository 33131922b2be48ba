"""What happens to accounts: asking for one, finishing it from the e-mailed link, and telling
an account holder about a run of failed sign-ins. E-mails go through the portal's outbox."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.http import urlencode

from accounts.tokens import signup_token_make
from journeys.models import Journey, OutgoingEmail
from journeys.services.emails import outgoing_emails_create
from units.models import StaffProfile


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
