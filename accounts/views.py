"""Signing in, signing out and getting an account: thin views over accounts.services and the
OpenID Connect clients (accounts.openid)."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import openid, services
from accounts.addresses import client_address
from accounts.claims import citizen_identity, staff_grants
from accounts.forms import LoginForm, SignupForm, SignupPasswordForm
from accounts.openid import SignInRefused
from accounts.policy import local_signup_open, password_form_shown
from accounts.throttling import rate_exceeded
from accounts.tokens import signup_token_read
from portal.redirects import safe_next
from units.roles import roles_of
from units.services import staff_language_remember

logger = logging.getLogger("accounts.openid")
SIGNED_IN_WITH = "portal_signed_in_with"  # the session's provider, for signing out there too


class SignInView(auth_views.LoginView):
    """Django's sign-in behind the throttle: a refused attempt answers 429 with the wait; a
    member of staff's e-mails then follow the language they sign in with. The page offers the
    e-ID and single sign-on buttons when they are configured, and the password form while
    anyone may still use one (accounts.policy)."""

    authentication_form = LoginForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            eid=openid.eid_enabled(),
            staff_sso=openid.staff_sso_enabled(),
            password_form=password_form_shown(),
            signup_open=local_signup_open(),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if not password_form_shown():
            raise Http404
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        staff_language_remember(user=form.get_user(), language=translation.get_language())
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            response.status_code = 429
        return response


def _signup_closed(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_closed.html", status=404)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if not local_signup_open():
        return _signup_closed(request)
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if rate_exceeded(
            scope="signup-from",
            key=client_address(request),
            limit=settings.SIGNUP_LIMIT_PER_ADDRESS,
            period_seconds=3600,
        ):
            form.add_error(
                None,
                _(
                    "Too many accounts have been asked for from your connection. "
                    "Try again in an hour."
                ),
            )
            return render(request, "accounts/signup.html", {"form": form}, status=429)
        # A flood of sign-ups for one e-mail address is not sent on (nor said to the asker).
        if not rate_exceeded(
            scope="signup-to",
            key=form.cleaned_data["email"],
            limit=settings.SIGNUP_LIMIT_PER_EMAIL,
            period_seconds=24 * 3600,
        ):
            services.signup_request(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                language=translation.get_language(),
                next_url=request.GET.get("next", ""),
                now=timezone.now(),
            )
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


@require_GET
def signup_sent(request: HttpRequest) -> HttpResponse:
    if not local_signup_open():
        return _signup_closed(request)
    return render(request, "accounts/signup_sent.html")


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if not local_signup_open():
        return _signup_closed(request)
    asked = signup_token_read(token)
    if asked is None:
        return render(request, "accounts/signup_confirm.html", {"expired": True}, status=400)
    form = SignupPasswordForm(
        request.POST if request.method == "POST" else None,
        username=asked["username"],
        email=asked["email"],
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.signup_complete(
                username=asked["username"],
                email=asked["email"],
                password=form.cleaned_data["password1"],
            )
        except services.SignupNotPossible:
            return render(request, "accounts/signup_confirm.html", {"taken": True}, status=409)
        login(request, user, backend="accounts.backends.ThrottledModelBackend")
        messages.success(request, _("Your account has been created."))
        return redirect(safe_next(request, default="citizens:services"))
    return render(
        request, "accounts/signup_confirm.html", {"form": form, "username": asked["username"]}
    )


# Why a sign-in through a provider was refused, as the person is told it: a title and what to
# do. Reasons not listed (a token that failed a check) share the last entry.
REFUSALS = {
    "state": (
        gettext_lazy("Start signing in again"),
        gettext_lazy(
            "This sign-in had been used already, or it took too long, so we could not finish it."
        ),
    ),
    "cancelled": (
        gettext_lazy("Signing in was cancelled"),
        gettext_lazy("You cancelled signing in at the sign-in service."),
    ),
    "provider_unavailable": (
        gettext_lazy("The sign-in service is not answering"),
        gettext_lazy("We could not reach the sign-in service. Try again in a few minutes."),
    ),
    "assurance_too_low": (
        gettext_lazy("Your e-ID is not strong enough for the portal"),
        gettext_lazy(
            "Applying needs an e-ID with at least a substantial level of assurance, such as "
            "BankID or Freja+. The e-ID you used has a lower level."
        ),
    ),
    "no_personal_number": (
        gettext_lazy("Your e-ID gave no Swedish personal identity number"),
        gettext_lazy(
            "The portal ties applications to a Swedish personal identity number. Sign in with "
            "a Swedish e-ID, or contact us to apply another way."
        ),
    ),
    "no_role": (
        gettext_lazy("Your account has no role in the portal"),
        gettext_lazy(
            "Your organisation's sign-in worked, but none of your groups gives you work in the "
            "portal. Ask your manager to add you to your unit's group."
        ),
    ),
    "inactive": (
        gettext_lazy("This account is closed"),
        gettext_lazy("Contact us if you need it again."),
    ),
    None: (
        gettext_lazy("We could not confirm who you are"),
        gettext_lazy(
            "The answer from the sign-in service did not pass our security checks. Try again; "
            "if it happens again, contact us and say when it happened."
        ),
    ),
}


def _provider(name: str) -> openid.Provider:
    config = openid.provider(name)
    if config is None:
        raise Http404
    return config


def _refused(request: HttpRequest, name: str, refusal: SignInRefused) -> HttpResponse:
    """Refuse the sign-in: a line in the log, no session, a page that says what to do."""
    logger.warning(
        "Sign-in refused: provider=%s reason=%s detail=%s", name, refusal.reason, refusal.detail
    )
    request.session.flush()
    title, explanation = REFUSALS.get(refusal.reason, REFUSALS[None])
    status = 503 if refusal.reason == "provider_unavailable" else 403
    context = {"title": title, "explanation": explanation, "provider": name}
    return render(request, "accounts/signin_refused.html", context, status=status)


def _start(request: HttpRequest, name: str) -> HttpResponse:
    config = _provider(name)
    target = request.POST.get("next", "")
    next_url = safe_next(request, default="home") if target else ""
    try:
        return openid.sign_in_redirect(request, config, next_url=next_url)
    except SignInRefused as refusal:
        return _refused(request, name, refusal)


def _signed_in(request: HttpRequest, user, name: str) -> HttpResponse:
    next_url = request.session.pop(openid.SESSION_NEXT, "")
    login(request, user, backend="accounts.backends.OpenIDBackend")
    request.session[SIGNED_IN_WITH] = name
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)


@require_POST
def eid_start(request: HttpRequest) -> HttpResponse:
    return _start(request, openid.EID)


@require_GET
def eid_callback(request: HttpRequest) -> HttpResponse:
    """The e-ID provider's answer: a citizen's account, keyed by their personal identity
    number, once the ID token and the identity it gives have passed every check."""
    config = _provider(openid.EID)
    try:
        identity = citizen_identity(openid.sign_in_claims(request, config))
    except SignInRefused as refusal:
        return _refused(request, openid.EID, refusal)
    user = services.person_sign_in(identity=identity, now=timezone.now())
    if not user.is_active:
        return _refused(request, openid.EID, SignInRefused("inactive"))
    return _signed_in(request, user, openid.EID)


@require_POST
def staff_start(request: HttpRequest) -> HttpResponse:
    return _start(request, openid.STAFF)


@require_GET
def staff_callback(request: HttpRequest) -> HttpResponse:
    """The organisation's single sign-on answers: a member of staff's account, with what their
    groups grant now; someone whose groups grant nothing is not signed in."""
    config = _provider(openid.STAFF)
    try:
        claims = openid.sign_in_claims(request, config)
    except SignInRefused as refusal:
        return _refused(request, openid.STAFF, refusal)
    grants = staff_grants(claims)
    user = services.staff_sign_in(
        issuer=config.issuer, claims=claims, grants=grants, now=timezone.now()
    )
    # A grant naming no existing unit gives nothing either: staff without a role never become
    # citizens here (their e-ID is for that).
    if user is None or roles_of(user).is_citizen:
        return _refused(request, openid.STAFF, SignInRefused("no_role", "no group grants a role"))
    if not user.is_active:
        return _refused(request, openid.STAFF, SignInRefused("inactive"))
    response = _signed_in(request, user, openid.STAFF)
    staff_language_remember(user=user, language=translation.get_language())
    return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """End the portal's session and, for a session a provider began, the provider's too
    (RP-initiated logout), which then sends the browser back to the home page."""
    name = request.session.get(SIGNED_IN_WITH)
    logout(request)
    return redirect((name and openid.sign_out_url(name)) or settings.LOGOUT_REDIRECT_URL)
