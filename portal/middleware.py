"""Site-wide protections that Django's own middleware does not give."""

from django.conf import settings
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

from api.problems import problem_response

# The browser features no page of the portal uses, switched off for every page and frame.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than MAX_REQUEST_BYTES before a byte of
    it is read (413), so a large upload costs neither the time to receive it nor disk."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            if request.path.startswith("/api/"):
                response = problem_response(413, "request-too-large")
                response["Connection"] = "close"
                return response
            response = render(
                request,
                "413.html",
                {"limit": filesizeformat(settings.DOCUMENT_MAX_BYTES)},
                status=413,
            )
            response["Connection"] = "close"
            return response
        return self.get_response(request)
