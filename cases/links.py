"""Offered links: a person that intake may attach to a new referral, offered by the server.

At intake a user may link a person record they cannot otherwise see (a perpetrator known to
another agency's case, say): that is how one person keeps one record. So that a form or an
API call cannot name any person id it likes (ids are sequential, and a link shows the linked
record to the new case's readers), a link is either a person the user may already see or a
token that the match-candidate search gave *this user* for *this person*: signed with the
project's secret, valid for two hours, and usable once (its nonce is stored when taken).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction

from agencies.models import User
from cases.models import IntakeLinkUse

SALT = "cases.intake-link"
MAX_AGE_SECONDS = 2 * 60 * 60


@dataclass(frozen=True)
class Offer:
    person_id: int
    user_id: int
    nonce: str


def link_token_issue(*, user: User, person_id: int) -> str:
    payload = {"p": person_id, "u": user.pk, "n": secrets.token_urlsafe(12)}
    return signing.dumps(payload, salt=SALT)


def link_token_read(token: str, *, user: User) -> Offer | None:
    """The offer behind ``token`` if it is genuine, this user's and not expired (not consumed)."""
    if not token or len(token) > 500:
        return None
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(payload, dict):
        return None
    person_id, user_id, nonce = payload.get("p"), payload.get("u"), payload.get("n")
    if not (isinstance(person_id, int) and isinstance(nonce, str) and user_id == user.pk):
        return None
    return Offer(person_id=person_id, user_id=user_id, nonce=nonce)


def link_token_take(token: str, *, user: User) -> int | None:
    """Consume an offer: the person id, or None if the token is not a live offer to this user."""
    offer = link_token_read(token, user=user)
    if offer is None:
        return None
    try:
        with transaction.atomic():
            IntakeLinkUse.objects.create(nonce=offer.nonce, user=user, person_id=offer.person_id)
    except IntegrityError:
        return None
    return offer.person_id
