"""Reports read from a streaming replica, when there is one; everything else from the primary.

With ``DATABASE_REPLICA_URL`` set (masip/settings/base.py) the ``replica`` connection is a
PostgreSQL hot standby made with ``pg_basebackup -R``. The heavy reads of reporting (the
dashboard, a return's figures, the evaluation tables, the data-quality report, the bundle
export) go there, so that a quarter's returns being worked out for 43 partnerships do not
compete with caseworkers for the primary.

Reads are routed by a context, not by model: the same models are read by caseworkers' pages
(which must see their own writes at once) and by reports (which may be a few seconds old).
``use_replica()`` marks a block of reporting reads; outside it, and for every write inside
it, the primary is used. Writes have to be pinned to the primary explicitly: Django would
otherwise save a row on the database an object related to it was read from, and the
access-log row a report writes names the user (who may have been read from the replica).

The blocks are in the reporting selectors and services (reporting/returns/selectors.py,
reporting/reads.py, the return job, the bundle export), around the figures only: who may
see a report, its scope, which cases are withheld and whose consent is in force are read
before the block, on the primary, so a restriction made a moment ago holds even while the
replica is behind. A page that shows such figures is marked with ``shows_replica_figures``
and says how fresh they are (templates/includes/replica_freshness.html).

When the replica cannot be reached (down, or not answering within its connect timeout), a
report is not refused: its block reads the primary instead, and the page says so ("the
reporting copy could not be reached: these figures are live"). A report that loads the
primary for a while is better than a manager who cannot send a return.

Without ``DATABASE_REPLICA_URL`` there is no ``replica`` connection, ``use_replica()`` does
nothing and the pages say nothing about freshness.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest

REPLICA = "replica"

_reading_reports: ContextVar[bool] = ContextVar("masip_reading_reports", default=False)

F = TypeVar("F", bound=Callable[..., Any])


def configured() -> bool:
    return REPLICA in settings.DATABASES


def active() -> bool:
    """Inside a block of reporting reads, with a replica to send them to."""
    return _reading_reports.get() and configured()


def read_alias() -> str:
    """The connection this block's reads use (for raw SQL and explicit transactions)."""
    return REPLICA if active() else DEFAULT_DB_ALIAS


def reachable() -> bool:
    """The replica answers (a connection is opened, or the open one is kept)."""
    connection = connections[REPLICA]
    try:
        connection.ensure_connection()
    except DatabaseError:
        connection.close()  # the next block tries afresh
        return False
    return True


@contextlib.contextmanager
def use_replica() -> Iterator[None]:
    # An unreachable replica: this block reads the primary (and the page says so, see freshness).
    token = _reading_reports.set(configured() and reachable())
    try:
        yield
    finally:
        _reading_reports.reset(token)


def shows_replica_figures(view: F) -> F:
    """A page whose figures come from ``use_replica()`` blocks: the layout says how fresh they are."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        request.replica_figures = True  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class ReplicaRouter:
    """Reads inside ``use_replica()`` to the replica; every write, always, to the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return REPLICA if active() else None

    def db_for_write(self, model: type, **hints: Any) -> str:
        # Explicit, not None: Django's fallback would write to the database of the object
        # passed as a hint (a user read from the replica, say), which is read-only.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database: the replica is a copy of the primary

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


# --- how fresh the replica's figures are ---------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    as_of: dt.datetime | None  # the last change replayed (now, when nothing is waiting)
    behind_seconds: int | None  # None: nothing replayed yet, age unknown
    threshold_seconds: int
    # The replica could not be reached: the figures were read from the primary, live.
    unreachable: bool = False

    @property
    def lagging(self) -> bool:
        if self.unreachable:
            return False
        return self.behind_seconds is None or self.behind_seconds > self.threshold_seconds


# ``now() - pg_last_xact_replay_timestamp()`` is the age of the last change replayed. When the
# standby has replayed everything it was sent and is still streaming, it is up to date even if
# the primary has been quiet for an hour: then it is not behind at all. A standby that is not
# in recovery (promoted, or the URL names a primary) is live.
FRESHNESS_SQL = """
SELECT now(),
       pg_is_in_recovery(),
       pg_last_xact_replay_timestamp(),
       pg_last_wal_receive_lsn() IS NOT NULL
         AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
         AND EXISTS (SELECT FROM pg_stat_wal_receiver WHERE status = 'streaming')
"""


def freshness() -> Freshness | None:
    """How far behind the primary the replica is; None without a replica."""
    if not configured():
        return None
    threshold = settings.MASIP_REPLICA_LAG_WARNING_SECONDS
    if not reachable():
        return Freshness(as_of=None, behind_seconds=None, threshold_seconds=threshold, unreachable=True)
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(FRESHNESS_SQL)
            now, in_recovery, replayed_at, caught_up = cursor.fetchone()
    except DatabaseError:
        connections[REPLICA].close()
        return Freshness(as_of=None, behind_seconds=None, threshold_seconds=threshold, unreachable=True)
    if not in_recovery or caught_up:
        return Freshness(as_of=now, behind_seconds=0, threshold_seconds=threshold)
    if replayed_at is None:
        return Freshness(as_of=None, behind_seconds=None, threshold_seconds=threshold)
    behind = max(0, int((now - replayed_at).total_seconds()))
    return Freshness(as_of=replayed_at, behind_seconds=behind, threshold_seconds=threshold)
