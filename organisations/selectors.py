"""Reading organisations and rights for pages."""

from organisations.models import Organisation, Representative


def representative_for(*, organisation_id: int | None, user) -> Representative | None:
    """The user's right (recorded or claimed) to represent the organisation, if any."""
    if organisation_id is None:
        return None
    return Representative.objects.of(user).filter(organisation_id=organisation_id).first()


def organisations_represented(user):
    """The organisations the user has a recorded right to represent, by name."""
    return Organisation.objects.represented_by(user).order_by("name")
