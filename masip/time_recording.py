"""Where the activities' pages offer "Record time", without importing the app that keeps it.

The app that records time (``costs``) registers one function at start-up that turns an
activity (``"advocacy.contact"``, 12) into the address of its time page, or None when it
does not record that kind. Pages call ``time_link`` through the ``time_recording`` template
tag; with nothing registered the tag renders nothing, so the activity apps stay below
``costs`` and work without it.
"""

from __future__ import annotations

from collections.abc import Callable

TimeLinkBuilder = Callable[[str, int], str | None]

_builder: list[TimeLinkBuilder] = []


def register_time_link(builder: TimeLinkBuilder) -> None:
    _builder[:] = [builder]


def time_link(source: str, activity_id: int) -> str | None:
    if not _builder or not activity_id:
        return None
    return _builder[0](source, activity_id)
