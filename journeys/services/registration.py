"""Registration on arrival: a case is registered in its unit's register when it reaches the
unit, and a document that reaches a registered case later is registered to it (units/registers.py
takes the numbers, consecutively)."""

import datetime as dt

from journeys.models import Document, Step
from units.models import Unit
from units.registers import case_document_number_take, registration_number_take


def step_register(*, step: Step, unit: Unit, now: dt.datetime) -> str:
    """Give the case the next number of `unit`'s register, unless that register already holds it
    (a reopened or recalled case comes back under its number; a transferred one is registered
    anew by the receiving unit). The caller holds the journey's lock. Returns the new number, or
    "" when nothing changed."""
    if step.registration_number and step.registered_unit_id == unit.pk:
        return ""
    number = registration_number_take(unit=unit, now=now)
    Step.objects.filter(pk=step.pk).update(
        registration_number=number, registered_unit=unit, documents_registered=0
    )
    step.registration_number, step.registered_unit, step.documents_registered = number, unit, 0
    return number


def document_register(*, document: Document, step: Step) -> str:
    """Register a document that reached a registered case: the case's number and the document's
    running number. A document already registered, or a case not yet registered, is left as it
    is. Returns the document's number ("" if it has none)."""
    if document.registration_number or not step.registration_number:
        return document.registration_number
    running = case_document_number_take(step_pk=step.pk)
    number = f"{step.registration_number}-{running}"
    Document.objects.filter(pk=document.pk).update(registration_number=number)
    document.registration_number = number
    return number
