"""Content that administrators write (unit names, journey types) is stored in English with
translations per language, and shown in the reader's language where one exists."""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def current_language() -> str:
    return (get_language() or settings.LANGUAGE_CODE)[:2]


class Translated(models.Model):
    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        help_text=_('Per language, e.g. {"sv": {"name": "..."}}; English is the main text.'),
    )

    class Meta:
        abstract = True

    def localized(self, attr: str):
        value = self.translations.get(current_language(), {}).get(attr)
        return value or getattr(self, attr)
