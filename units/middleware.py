"""Staff sessions (caseworkers, unit leads, coordinators, administrators) end after a period
without requests; citizens keep the ordinary session length."""

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


class StaffIdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and not roles_of(request.user).is_citizen:
            now = time.time()
            last_seen = request.session.get(LAST_SEEN, now)
            if now - last_seen > settings.STAFF_IDLE_TIMEOUT_MINUTES * 60:
                logout(request)
                return redirect(f"{reverse('login')}?next={request.path}&timeout=1")
            if now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS or LAST_SEEN not in request.session:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
