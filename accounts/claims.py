"""What a provider's verified claims mean in the portal: a citizen's identity (the Swedish OIDC
profile's personal identity number, names and level of assurance) and what a member of staff's
groups grant (OIDC_STAFF_GROUPS)."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.openid import PERSON_NUMBER_CLAIM, SignInRefused
from citizens.identity_numbers import normalise_personnummer
from units.models import Membership
from units.services import StaffGrants

logger = logging.getLogger("accounts.openid")
COORDINATOR = "coordinator"


@dataclass(frozen=True)
class CitizenIdentity:
    personal_identity_number: str  # YYYYMMDD-NNNN
    given_name: str
    family_name: str
    assurance: str


def citizen_identity(claims: dict) -> CitizenIdentity:
    """The citizen the claims name, if the e-ID is good enough to act in the portal: a level of
    assurance among OIDC_EID_ACR_VALUES and a valid Swedish personal identity number."""
    acr = claims.get("acr") or ""
    if acr not in settings.OIDC_EID_ACR_VALUES:
        raise SignInRefused("assurance_too_low", f"acr {acr or 'missing'}")
    number = claims.get(PERSON_NUMBER_CLAIM)
    if not isinstance(number, str) or len(number) != 12:  # the profile's form: YYYYMMDDNNNN
        raise SignInRefused("no_personal_number", "missing" if not number else "malformed")
    try:
        number = normalise_personnummer(number)
    except ValidationError as error:
        raise SignInRefused("no_personal_number", "fails its check") from error
    return CitizenIdentity(
        personal_identity_number=number,
        given_name=str(claims.get("given_name") or "")[:150],
        family_name=str(claims.get("family_name") or "")[:150],
        assurance=acr,
    )


def staff_grants(claims: dict) -> StaffGrants:
    """The memberships and coordinator permission that the claim OIDC_STAFF_GROUPS_CLAIM's
    groups map to in OIDC_STAFF_GROUPS; a unit lead's grant wins over a caseworker's."""
    groups = claims.get(settings.OIDC_STAFF_GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = groups.split()
    roles: dict[str, str] = {}
    coordinator = False
    for group in groups:
        grants = settings.OIDC_STAFF_GROUPS.get(group, [])
        for grant in grants if isinstance(grants, list) else [grants]:
            if grant == COORDINATOR:
                coordinator = True
            elif grant_error(grant) is None and roles.get(grant["unit"]) != Membership.Role.LEAD:
                roles[grant["unit"]] = grant["role"]
    return StaffGrants(roles=roles, coordinator=coordinator)


def grant_error(grant) -> str | None:
    """What is wrong with one grant of OIDC_STAFF_GROUPS (None: nothing)."""
    if grant == COORDINATOR:
        return None
    if not isinstance(grant, dict) or set(grant) != {"unit", "role"}:
        return 'must be "coordinator" or {"unit": <slug>, "role": "caseworker" or "lead"}'
    if grant["role"] not in Membership.Role.values:
        return f"unknown role {grant['role']!r}"
    return None
