"""Where the activities' pages offer "Record time", without importing the app that keeps it.

The app that records time (``costs``) registers one function at start-up that turns an
activity (``"advocacy.contact"``, 12) into the address of its time page for the reader, or
None when it does not record that kind or the reader records no time (a link that answers
404 would be worse than none). Pages call ``time_link`` through the ``time_recording`` template
tag; with nothing registered the tag renders nothing, so the activity apps stay below
``costs`` and work without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# (the member of staff reading the page, the activity's source, its id) -> address or None
TimeLinkBuilder = Callable[[Any, str, int], str | None]

_builder: list[TimeLinkBuilder] = []


def register_time_link(builder: TimeLinkBuilder) -> None:
    _builder[:] = [builder]


def time_link(user: Any, source: str, activity_id: int) -> str | None:
    """The time page of an activity for ``user``, or None (nothing registered, or not theirs to record)."""
    if not _builder or not activity_id:
        return None
    return _builder[0](user, source, activity_id)
