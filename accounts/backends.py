"""Authentication backends: Django's password check behind the sign-in throttle
(accounts.throttling) and the sign-in policy, and the backend of sessions that an OpenID
provider began (accounts.openid)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.addresses import client_address
from accounts.policy import password_signin_allowed
from accounts.services import signin_warning_send
from accounts.throttling import signin_failed, signin_succeeded, signin_wait


class ThrottledModelBackend(ModelBackend):
    """Judge a password only when the username may try again from this address; otherwise
    refuse at once (PermissionDenied stops Django trying other backends) and leave the wait on
    the request, where the sign-in form reads it. A right password of an account that must
    sign in another way (accounts.policy) counts as a failure like any other."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is None:
            return super().authenticate(request, username, password, **kwargs)
        address = client_address(request)
        wait = signin_wait(username=username, address=address)
        if wait:
            request.signin_wait = wait
            raise PermissionDenied
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None and not password_signin_allowed(user):
            user = None
        if user is not None:
            signin_succeeded(username=username, address=address)
        elif signin_failed(username=username, address=address):
            holder = get_user_model().objects.filter(username=username).first()
            if holder is not None:
                signin_warning_send(user=holder, now=timezone.now())
        return user


class OpenIDBackend(ModelBackend):
    """Keeps the sessions an OpenID provider began (e-ID, single sign-on); it authenticates
    nobody by itself: accounts.views logs the person in once the provider's token passed."""

    def authenticate(self, request, **credentials):
        return None
