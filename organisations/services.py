"""What happens to organisations and the rights to represent them: a person names the
organisation they apply for (the companies register recording their right when it lists them as
a signatory), a representative invites another, a caseworker confirms a right."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from accounts.models import Person
from journeys.versions import catalogue_changed
from organisations.models import Organisation, Representative
from organisations.register import signatory_register


class NotARepresentative(Exception):
    """The person has no recorded right to represent the organisation."""


@dataclass(frozen=True)
class Applying:
    organisation: Organisation
    representative: Representative


def _organisation(*, number: str, name: str, now: dt.datetime) -> Organisation:
    try:
        with transaction.atomic():
            organisation, _ = Organisation.objects.get_or_create(
                number=number, defaults={"name": name, "created_at": now}
            )
    except IntegrityError:  # named by someone else at the same moment
        organisation = Organisation.objects.get(number=number)
    return organisation


@transaction.atomic
def organisation_apply_for(*, person: Person, number: str, name: str, now) -> Applying:
    """The organisation `person` applies for, and their right to represent it: recorded at once
    if it was already, or if the companies register lists them as a signatory; otherwise claimed
    and left for a caseworker to confirm. The register's name wins over the one given."""
    registered = (register := signatory_register()) and register.lookup(number)
    organisation = _organisation(
        number=number, name=registered.name if registered else name, now=now
    )
    if registered and organisation.name != registered.name:
        Organisation.objects.filter(pk=organisation.pk).update(name=registered.name)
        organisation.name = registered.name
        catalogue_changed()  # its applications' pages show its name
    representative, _ = Representative.objects.get_or_create(
        organisation=organisation,
        personal_identity_number=person.personal_identity_number,
        defaults={"name": person.user.get_full_name(), "created_at": now},
    )
    listed = registered and person.personal_identity_number in registered.signatories
    if listed and not representative.is_recorded:
        representative = _record(
            representative, basis=Representative.Basis.REGISTER, by=None, now=now
        )
    return Applying(organisation=organisation, representative=representative)


def _record(representative: Representative, *, basis: str, by, now) -> Representative:
    """Record a claimed right (a right already recorded keeps how it was)."""
    Representative.objects.filter(pk=representative.pk, recorded_at__isnull=True).update(
        basis=basis, recorded_at=now, recorded_by=by
    )
    representative.refresh_from_db()
    return representative


@transaction.atomic
def representative_invite(
    *, organisation: Organisation, by, number: str, name: str, now: dt.datetime
) -> Representative:
    """A representative records another person's right to represent the organisation; the
    person sees its journeys at their next sign-in with e-ID (or at once, if signed in)."""
    if not Representative.objects.recorded().of(by).filter(organisation=organisation).exists():
        raise NotARepresentative
    representative, _ = Representative.objects.get_or_create(
        organisation=organisation,
        personal_identity_number=number,
        defaults={"name": name, "created_at": now},
    )
    return _record(representative, basis=Representative.Basis.INVITATION, by=by, now=now)


@transaction.atomic
def representative_confirm(*, representative: Representative, by, now: dt.datetime):
    """A caseworker confirms a claimed right (having seen, say, a power of attorney)."""
    return _record(representative, basis=Representative.Basis.CASEWORKER, by=by, now=now)
