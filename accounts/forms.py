from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


def wait_text(seconds: int) -> str:
    """How long to wait, as a person says it: seconds under a minute, else whole minutes."""
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = (seconds + 59) // 60
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


class LoginForm(AuthenticationForm):
    use_required_attribute = False
    error_messages = {
        "invalid_login": _("Enter a correct username and password. Both are case-sensitive."),
        "inactive": _("This account is closed. Contact us if you need it again."),
        "throttled": _(
            "There have been too many attempts to sign in with this username. To protect the "
            "account, wait %(wait)s, then try again."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = _("Enter your username")
        self.fields["password"].error_messages["required"] = _("Enter your password")
        if self.is_bound:
            # Django autofocuses the username; a submitted form is shown again only with
            # errors, and then the error summary takes the focus (a page has one autofocus).
            self.fields["username"].widget.attrs.pop("autofocus", None)

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            # Set by accounts.backends.ThrottledModelBackend when it did not judge the password.
            wait = getattr(self.request, "signin_wait", 0)
            if wait:
                raise ValidationError(
                    self.error_messages["throttled"],
                    code="throttled",
                    params={"wait": wait_text(wait)},
                ) from None
            raise


class SignupForm(forms.Form):
    """Who is asking for an account: a username and the address the link goes to. Whether
    either is in use is told to that address only (accounts.services.signup_request)."""

    use_required_attribute = False
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only. You sign in with it."),
        validators=[get_user_model().username_validator],
        error_messages={
            "required": _("Enter a username"),
            "max_length": _("Enter a username of 150 characters or fewer"),
        },
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_(
            "We send a link to this address to finish your account, then receipts and decisions."
        ),
        error_messages={
            "required": _("Enter your e-mail address"),
            "invalid": _("Enter an e-mail address in the correct format, like name@example.com"),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].validators[0].message = _(
            "Enter a username with letters, digits and @ . + - _ only"
        )


class SignupPasswordForm(forms.Form):
    """The password, chosen once the address is confirmed (Django's password validators)."""

    use_required_attribute = False
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, and not a common password."),
        error_messages={"required": _("Enter a password")},
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Enter the password again")},
    )

    def __init__(self, *args, username: str, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = get_user_model()(username=username, email=email)

    def clean_password2(self):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data["password2"]
        if first and first != second:
            raise ValidationError(_("Enter the same password twice"), code="mismatch")
        return second

    def _post_clean(self):
        super()._post_clean()
        password = self.cleaned_data.get("password1")
        if password:
            try:
                password_validation.validate_password(password, self.user)
            except ValidationError as error:
                self.add_error("password1", error)
