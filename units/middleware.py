"""Sessions end after a period without requests: staff (caseworkers, unit leads, coordinators,
administrators) after STAFF_IDLE_TIMEOUT_MINUTES, citizens after CITIZEN_IDLE_TIMEOUT_MINUTES
(longer: an application is filled in at home, often with pauses to find a document)."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from units.roles import roles_of

LAST_SEEN = "portal_last_seen"
# The last-seen time is rewritten at most this often, so that reading pages does not write the
# session on every request; the timeout is then exact to within this many seconds.
LAST_SEEN_RESOLUTION_SECONDS = 60


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            minutes = (
                settings.CITIZEN_IDLE_TIMEOUT_MINUTES
                if roles_of(request.user).is_citizen
                else settings.STAFF_IDLE_TIMEOUT_MINUTES
            )
            now = time.time()
            last_seen = request.session.get(LAST_SEEN, now)
            if now - last_seen > minutes * 60:
                logout(request)
                return redirect(f"{reverse('login')}?next={request.path}&timeout=1")
            if now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS or LAST_SEEN not in request.session:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
