"""Staff sign in with their organisation's single sign-on (the real provider); their groups
decide their memberships and the coordinator permission at every sign-in."""

import logging

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.urls import reverse

from accounts.models import StaffIdentity
from tests.factories import make_caseworker, make_user
from tests.identity.fixtures import query_of, sign_in
from units.models import Membership
from units.roles import roles_of

pytestmark = pytest.mark.django_db


def _memberships(user) -> set[tuple[str, str]]:
    return set(Membership.objects.filter(user=user).values_list("unit__slug", "role"))


def _fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_a_caseworker_gets_an_account_and_lands_in_their_units_queue(client, staff_sso, units):
    response = sign_in(client, staff_sso, "kim", via="staff")
    assert response.status_code == 302
    identity = StaffIdentity.objects.select_related("user").get()
    user = identity.user
    assert (identity.issuer, identity.subject) == (staff_sso.issuer, "kim")
    assert (user.username, user.email, user.get_full_name()) == (
        "kim",
        "kim@kommun.example",
        "Kim Karlsson",
    )
    assert not user.has_usable_password()
    assert _memberships(user) == {("urban-planning", "caseworker")}
    assert client.get(response.url).url == reverse("casework:queue")
    assert client.get(reverse("casework:queue")).status_code == 200


def test_memberships_and_the_coordinator_permission_follow_the_groups(client, staff_sso, units):
    sign_in(client, staff_sso, "kim", via="staff")
    user = StaffIdentity.objects.get().user
    assert not roles_of(_fresh(user)).is_coordinator

    staff_sso.set_account("kim", groups=["planning-caseworkers", "planning-leads", "coordinators"])
    sign_in(client, staff_sso, "kim", via="staff")
    assert _memberships(user) == {("urban-planning", "lead")}  # the lead's grant wins
    roles = roles_of(_fresh(user))
    assert roles.is_coordinator and roles.lead_unit_ids == {units["urban-planning"].pk}

    staff_sso.set_account("kim", groups=["fire-caseworkers"])
    sign_in(client, staff_sso, "kim", via="staff")
    assert _memberships(user) == {("fire-rescue", "caseworker")}
    roles = roles_of(_fresh(user))
    assert not roles.is_coordinator and roles.unit_ids == {units["fire-rescue"].pk}
    assert StaffIdentity.objects.count() == 1  # the same account every time


def test_no_group_left_means_no_access_and_no_session(client, staff_sso, units, caplog):
    sign_in(client, staff_sso, "kim", via="staff")
    user = StaffIdentity.objects.get().user
    client.post(reverse("logout"))
    staff_sso.set_account("kim", groups=[])
    with caplog.at_level(logging.WARNING, logger="accounts.openid"):
        response = sign_in(client, staff_sso, "kim", via="staff")
    assert response.status_code == 403
    assert "no role in the portal" in response.content.decode()
    assert "reason=no_role " in caplog.text
    assert SESSION_KEY not in client.session
    assert _memberships(user) == set()
    assert client.get(reverse("casework:queue")).status_code == 302  # to the sign-in page


def test_someone_whose_groups_grant_nothing_gets_no_account(client, staff_sso, units):
    response = sign_in(client, staff_sso, "olle", via="staff")
    assert response.status_code == 403
    assert not StaffIdentity.objects.exists()
    assert not get_user_model().objects.filter(username="olle").exists()


def test_a_local_account_of_the_same_name_is_not_taken_over(client, staff_sso, units):
    local = make_user("kim")
    sign_in(client, staff_sso, "kim", via="staff")
    user = StaffIdentity.objects.get().user
    assert user.pk != local.pk and user.username.startswith("kim-")
    assert _memberships(_fresh(local)) == set()


def test_signing_out_ends_the_providers_session_too(client, staff_sso, units):
    sign_in(client, staff_sso, "kim", via="staff")
    response = client.post(reverse("logout"))
    assert SESSION_KEY not in client.session
    assert response.url.startswith(staff_sso.discovery()["end_session_endpoint"])
    query = query_of(response.url)
    assert query["client_id"] == "portal-staff"
    assert query["post_logout_redirect_uri"].endswith("/")


def test_a_password_session_signs_out_at_the_portal_only(client, staff_sso, units):
    client.force_login(make_caseworker(units["urban-planning"]))
    response = client.post(reverse("logout"))
    assert response.url == reverse("home")


def _password_sign_in(client, username: str):
    return client.post(reverse("login"), {"username": username, "password": "pw-for-tests-only"})


def test_staff_password_sign_in_can_be_switched_off(client, settings, staff_sso, units):
    settings.STAFF_PASSWORD_SIGNIN = False
    make_caseworker(units["urban-planning"], username="local-caseworker")
    make_user("local-citizen")
    make_user("break-glass", is_superuser=True, is_staff=True)
    assert _password_sign_in(client, "local-caseworker").status_code == 200  # the form again
    assert SESSION_KEY not in client.session
    assert _password_sign_in(client, "local-citizen").status_code == 302  # no e-ID here
    client.post(reverse("logout"))
    assert _password_sign_in(client, "break-glass").status_code == 302


def test_with_eid_citizens_do_not_sign_in_with_a_password(client, settings, eid, units):
    make_user("local-citizen")
    make_caseworker(units["urban-planning"], username="local-caseworker")
    assert _password_sign_in(client, "local-citizen").status_code == 200
    assert SESSION_KEY not in client.session
    assert _password_sign_in(client, "local-caseworker").status_code == 302
    settings.STAFF_PASSWORD_SIGNIN = False
    client.post(reverse("logout"))
    assert _password_sign_in(client, "local-caseworker").status_code == 404  # no form at all


def test_a_half_set_provider_or_an_unreadable_mapping_fails_the_checks(settings):
    from accounts.checks import openid_settings_check

    settings.OIDC_EID_ISSUER = "https://e-id.example"
    settings.OIDC_STAFF_GROUPS = {"managers": {"unit": "urban-planning", "role": "boss"}}
    settings.STAFF_PASSWORD_SIGNIN = False
    found = [problem.id for problem in openid_settings_check(None)]
    assert found == ["accounts.E001", "accounts.E002", "accounts.W001"]
