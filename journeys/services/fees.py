"""A step's fee follows the step: when it moves to another unit (a transfer, or a new route
after the applicant changed an answer), its unpaid invoice is cancelled and issued again to that
unit (payments.services.invoice_reissue), and the applicant is told what to pay instead."""

import datetime as dt

from journeys.models import Journey, Step
from journeys.services.messages import applicant_notify
from payments.services import invoice_reissue


def step_invoices_follow(*, journey: Journey, steps: list[Step], now: dt.datetime) -> list:
    """Reissue each moved step's unpaid invoice to the step's unit now, and write the applicant
    one message about them. The caller holds the journey's row lock. Returns the new invoices."""
    reissued = [invoice for step in steps if (invoice := invoice_reissue(step=step, now=now))]
    if reissued:
        applicant_notify(journey=journey, what="invoice_reissued", now=now, invoices=reissued)
    return reissued
