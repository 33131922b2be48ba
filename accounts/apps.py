from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """How people get an account and sign in: sign-up with a confirmed e-mail address that
    reveals nothing about other accounts, and sign-in throttling that slows guessing down
    without locking anyone out."""

    name = "accounts"
    verbose_name = _("Accounts")
