"""Who may sign for an organisation, from the companies register, behind one interface.

Production connects a real lookup (Bolagsverket's, or a broker's) by naming a class with this
interface in SIGNATORY_REGISTER. `StandInRegister` answers from a small fixed list and exists for
tests and development only: the settings refuse it unless DEBUG is on. Without a register every
right to represent is recorded by an invitation or a caseworker's confirmation.
"""

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class RegisteredOrganisation:
    number: str  # NNNNNN-NNNN
    name: str
    signatories: frozenset[str]  # personal identity numbers, YYYYMMDD-NNNN


class SignatoryRegister(Protocol):
    def lookup(self, number: str) -> RegisteredOrganisation | None:
        """The organisation with this number and who may sign for it; None if not registered."""


class StandInRegister:
    """A register of made-up companies, for tests and development only."""

    COMPANIES = {
        "556016-0680": ("Kaffekoppen AB", {"19900101-2385", "19121212-1212"}),
        "556677-8899": ("Gasolgrillen HB", {"19850615-2381"}),
    }

    def lookup(self, number: str) -> RegisteredOrganisation | None:
        found = self.COMPANIES.get(number)
        if found is None:
            return None
        name, signatories = found
        return RegisteredOrganisation(number=number, name=name, signatories=frozenset(signatories))


STAND_IN = f"{StandInRegister.__module__}.{StandInRegister.__qualname__}"


def signatory_register() -> SignatoryRegister | None:
    """The configured register, or None when there is none (SIGNATORY_REGISTER empty)."""
    if not settings.SIGNATORY_REGISTER:
        return None
    return import_string(settings.SIGNATORY_REGISTER)()
