"""Deployment checks (`manage.py check --deploy`) for what the portal's e-mails need."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.http.request import validate_host


@register(Tags.security, deploy=True)
def site_url_check(app_configs, **kwargs):
    """Links in e-mails go to SITE_URL: in production it must be the real, https address."""
    url = urlsplit(settings.SITE_URL)
    problems = []
    if url.scheme != "https":
        problems.append(
            Warning(
                "SITE_URL is not an https address, so links in e-mails are not.",
                hint="Set SITE_URL to the address people reach the portal at, https://…",
                id="journeys.W001",
            )
        )
    if not validate_host(url.hostname or "", settings.ALLOWED_HOSTS):
        problems.append(
            Error(
                f"SITE_URL's host {url.hostname!r} is not in ALLOWED_HOSTS: links in e-mails "
                "would lead nowhere.",
                hint="Set SITE_URL (and ALLOWED_HOSTS) to the portal's public address.",
                id="journeys.E001",
            )
        )
    return problems
