from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Who someone is and how they sign in: citizens with e-ID (keyed by their personal identity
    number) and staff with their organisation's single sign-on over OpenID Connect, and, for the
    embedded default, local accounts with a confirmed e-mail address and throttled sign-in."""

    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts import checks  # noqa: F401
