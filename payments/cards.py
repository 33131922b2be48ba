"""Paying an invoice by card: the interface a card provider's integration will implement.

There is no implementation yet. One would be a class with these methods, chosen by a setting
(as the identity providers are): `checkout_start` sends the applicant to the provider's page for
one invoice; the provider's signed callback reaches a view that calls `checkout_confirm`, and a
confirmed payment marks the invoice paid the same way a BgMax payment does (once, by the
provider's own payment id, as `Payment.bgc_serial` keeps Bankgirot's).
"""

from dataclasses import dataclass
from typing import Protocol

from payments.models import Invoice


@dataclass(frozen=True)
class CardCheckout:
    provider_reference: str  # the provider's id for this attempt, unique
    redirect_url: str  # where the applicant pays


@dataclass(frozen=True)
class CardPaymentResult:
    provider_reference: str
    paid: bool
    amount_ore: int


class CardPaymentProvider(Protocol):
    """A card payment provider (for example a Swedish PSP); none is configured yet."""

    def checkout_start(self, *, invoice: Invoice, return_url: str, language: str) -> CardCheckout:
        """Open a payment of the invoice's amount, referring to its OCR reference."""
        ...

    def checkout_confirm(self, *, provider_reference: str, payload: bytes) -> CardPaymentResult:
        """Verify the provider's signed callback and say whether, and how much, was paid."""
        ...
