"""Optimistic concurrency for the records people edit: a version tag and the conflict it reports.

Every edit service locks the row it changes (``select_for_update``) and merges the
caller's change into the locked row, so two people changing different fields at once
both keep their change. That alone cannot tell whether someone is overwriting a value
they never saw; so a page carries the version of the record it rendered, the API hands
it out as the ``ETag``, and a service given that version compares it with the locked
row's: a difference is an ``EditConflict`` (a warning on the page, 412 on the API).

The version is a keyed digest of the row's stored values (with ``updated_at`` where the model
has it), so it needs no extra column and changes with every write that changes the row,
whoever made it (a service, a bulk update, the admin).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.crypto import salted_hmac

VERSION_SALT = "masip.concurrency.version"
CONFLICT_MESSAGE = (
    "This record was changed by someone else since you opened it. Your change has not been saved: "
    "check the record as it is now and make your change again."
)


class EditConflict(Exception):
    """The record is no longer the version the editor saw."""

    def __init__(self, current_version: str) -> None:
        super().__init__(CONFLICT_MESSAGE)
        self.current_version = current_version


def version_of(instance: models.Model, *, ignore: Iterable[str] = ()) -> str:
    """A short opaque tag that changes whenever a stored value of the row changes.

    ``ignore`` names columns the system keeps up to date by itself (a due date a nightly
    job recomputes): a change there is nobody's edit, and must not turn someone's save
    into a conflict.
    """
    meta = instance._meta
    skipped = set(ignore)
    parts = [meta.label_lower, str(instance.pk)]
    for field in meta.concrete_fields:
        if field.attname not in skipped and field.name not in skipped:
            parts.append(f"{field.attname}={_canonical(getattr(instance, field.attname))}")
    # Keyed: the tag goes to agencies the agreement withholds some of these values from,
    # and a plain digest would let them confirm a guess of a withheld name offline.
    return salted_hmac(VERSION_SALT, "\x1f".join(parts), algorithm="sha256").hexdigest()[:24]


def _canonical(value: Any) -> str:
    """The same text for a value as a service just set it and as read back from the database.

    A row a service has just saved still holds what was assigned (a choices member, a
    datetime in the offset it came in, ``Decimal("1.5")``); the database gives back the plain
    value, UTC, ``Decimal("1.50")``. The version must not tell them apart.
    """
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    if isinstance(value, decimal.Decimal):
        value = value.normalize()
    if isinstance(value, list | tuple):
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    if isinstance(value, dict):  # jsonb gives the keys back in its own order
        return "{" + ",".join(f"{key!r}:{_canonical(value[key])}" for key in sorted(value)) + "}"
    if isinstance(value, str):
        value = str(value)
    return repr(value)


def check_version(current: str, expected: str | None) -> None:
    """Raise ``EditConflict`` when the editor saw another version; no version given, no check.

    ``expected`` is one tag, or an ``If-Match`` list of them (any one matching will do;
    ``*`` matches any version of a record that exists).
    """
    if expected is None:
        return
    tags = {parse_version(tag) for tag in expected.split(",")}
    if "*" in tags or current in tags:
        return
    raise EditConflict(current)


def parse_version(value: Any) -> str | None:
    """A version from a form or a header: the tag, with or without ETag quotes; blank is none."""
    text = str(value or "").strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    return text or None
