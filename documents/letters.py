"""Letters filled from the case and rendered as PDF (WeasyPrint), kept as documents.

The templates are part of the service (templates/documents/letters/): an advocate
chooses one, the victim it is for and the recipient, and may add a paragraph. What a
letter shows decides its record classes: the housing letter carries the victim's
address, so it is ``victim_location``; the workplace letter describes her protections
at work, so it is ``safety_plan``. Both identify her.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

from agencies.models import RecordClass, User
from cases.models import Address, Case, CrimeReference, Order, OrderStatus, Person


@dataclass(frozen=True)
class Letter:
    key: str
    title: str
    template_name: str
    record_classes: tuple[str, ...]
    description: str


LETTERS: dict[str, Letter] = {
    letter.key: letter
    for letter in (
        Letter(
            key="housing_support",
            title="Housing support letter",
            template_name="documents/letters/housing_support.html",
            record_classes=(RecordClass.VICTIM_LOCATION,),
            description="To a housing provider or council: supports a move or safety measures at her home. "
            "Shows her current address.",
        ),
        Letter(
            key="workplace_safety",
            title="Workplace safety letter",
            template_name="documents/letters/workplace_safety.html",
            record_classes=(RecordClass.SAFETY_PLAN,),
            description="To her employer: asks for safety measures at work and lists the orders in force.",
        ),
    )
}


def _refuse(url: str, *args: Any, **kwargs: Any) -> Any:
    # Nothing typed into a letter can make the server fetch a URL.
    raise ValueError(f"not fetched: {url[:40]}")


def context(
    *,
    letter: Letter,
    case: Case,
    person_id: int,
    author: User,
    recipient_name: str,
    recipient_address: str,
    extra: str,
    dated_on: dt.date,
) -> dict[str, Any]:
    person = Person.objects.get(pk=person_id)
    address = (
        Address.objects.filter(person_id=person_id, is_current=True).order_by("-created_at", "-id").first()
        if RecordClass.VICTIM_LOCATION in letter.record_classes
        else None
    )
    orders = list(Order.objects.filter(case=case, status=OrderStatus.IN_FORCE).order_by("made_on", "id"))
    return {
        "letter": letter,
        "case": case,
        "person": person,
        "address": address,
        "orders": orders,
        "crime_references": list(
            CrimeReference.objects.filter(referral_id=case.referral_id).values_list("reference", flat=True)
        ),
        "author": author,
        "agency": author.agency,
        "recipient_name": recipient_name,
        "recipient_address": recipient_address.splitlines(),
        "extra": extra,
        "dated_on": dated_on,
    }


def render(**kwargs: Any) -> bytes:
    from weasyprint import HTML

    letter: Letter = kwargs["letter"]
    html = render_to_string(letter.template_name, context(**kwargs))
    return bytes(HTML(string=html, url_fetcher=_refuse).write_pdf())
