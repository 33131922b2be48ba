"""Signing in and getting an account: thin views over accounts.services."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import services
from accounts.addresses import client_address
from accounts.forms import LoginForm, SignupForm, SignupPasswordForm
from accounts.throttling import rate_exceeded
from accounts.tokens import signup_token_read
from portal.redirects import safe_next
from units.services import staff_language_remember


class SignInView(auth_views.LoginView):
    """Django's sign-in behind the throttle: a refused attempt answers 429 with the wait; a
    member of staff's e-mails then follow the language they sign in with."""

    authentication_form = LoginForm

    def form_valid(self, form):
        response = super().form_valid(form)
        staff_language_remember(user=form.get_user(), language=translation.get_language())
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            response.status_code = 429
        return response


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
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
    return render(request, "accounts/signup_sent.html")


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
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
