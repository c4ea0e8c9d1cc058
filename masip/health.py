"""Dependency checks for /healthz: database, Redis and a Celery worker; and the queues' state.

Each check has a short timeout so a dead dependency answers 503 in about a
second instead of hanging the load balancer's probe. Messages are generic:
the endpoint is unauthenticated and must not reveal hosts or credentials.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import TypedDict

import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 1.0


class Check(TypedDict):
    ok: bool
    detail: str


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "detail": "reachable"}
    except Exception:
        logger.exception("health: database unreachable")
        return {"ok": False, "detail": "unreachable"}


def check_redis() -> Check:
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=TIMEOUT_SECONDS,
            socket_timeout=TIMEOUT_SECONDS,
        )
        client.ping()
        client.close()
        return {"ok": True, "detail": "reachable"}
    except Exception:
        logger.warning("health: redis unreachable")
        return {"ok": False, "detail": "unreachable"}


def check_celery(broker_ok: bool) -> Check:
    if not broker_ok:
        # Without the broker no worker can answer; don't wait on retries to find out.
        return {"ok": False, "detail": "broker unreachable"}
    from masip.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)
            replies = app.control.ping(timeout=TIMEOUT_SECONDS, connection=conn)
    except Exception:
        logger.warning("health: celery ping failed")
        return {"ok": False, "detail": "ping failed"}
    if not replies:
        return {"ok": False, "detail": "no worker answered"}
    return {"ok": True, "detail": f"{len(replies)} worker(s) answered"}


# kombu's Redis transport keeps a message of priority p > 0 in a list of its own, named
# queue + "\x06\x16" + p (priority steps 0, 3, 6, 9); priority 0 is the queue's own name.
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (0, 3, 6, 9)
# kombu's defaults for the sorted set of unacknowledged deliveries (score: when delivered).
_UNACKED_INDEX = "unacked_index"


class QueueStats(TypedDict):
    ok: bool
    detail: str
    depth: dict[str, int]
    oldest_unacked_seconds: float | None


def queue_stats(queues: tuple[str, ...] | None = None) -> QueueStats:
    """How many messages wait in each queue, and how long the oldest unacknowledged delivery
    has been out (a worker running it, or a dead worker's, waiting for redelivery)."""
    from masip import jobs

    names = queues or jobs.QUEUES
    try:
        client = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
        )
        with client.pipeline(transaction=False) as pipe:
            for name in names:
                for step in _PRIORITY_STEPS:
                    pipe.llen(name if step == 0 else f"{name}{_PRIORITY_SEPARATOR}{step}")
            pipe.zrange(_UNACKED_INDEX, 0, 0, withscores=True)
            replies = pipe.execute()
        client.close()
    except Exception:
        logger.warning("health: queue lengths unreadable")
        return {"ok": False, "detail": "broker unreadable", "depth": {}, "oldest_unacked_seconds": None}
    lengths, oldest = replies[:-1], replies[-1]
    steps = len(_PRIORITY_STEPS)
    depth = {name: sum(lengths[i * steps : (i + 1) * steps]) for i, name in enumerate(names)}
    # kombu scores a delivery with the worker's clock, and compares with its own clock too.
    age = round(time.time() - oldest[0][1], 1) if oldest else None
    waiting = sum(depth.values())
    detail = f"{waiting} waiting" + (f"; oldest unacknowledged {age:.0f}s" if age is not None else "")
    return {"ok": True, "detail": detail, "depth": depth, "oldest_unacked_seconds": age}


def check_access_log_partitions() -> Check:
    """This month's and next month's access-log partitions exist (audit/partitions.py).

    Without them, every page that shows personal data would fail to write its access-log
    row: the daily job keeps three months ahead, so a missing one means it has not run.
    """
    this_month = timezone.now().astimezone(dt.UTC).date().replace(day=1)
    next_month = (this_month + dt.timedelta(days=32)).replace(day=1)
    # The partitions' names, as audit/partitions.py makes them (UTC months).
    wanted = [f"audit_accesslog_y{m:%Y}m{m:%m}" for m in (this_month, next_month)]
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = 'audit_accesslog'::regclass AND c.relname = ANY(%s)",
                [wanted],
            )
            (found,) = cursor.fetchone()
    except Exception:
        logger.exception("health: access-log partitions unreadable")
        return {"ok": False, "detail": "unreadable"}
    if found < len(wanted):
        logger.error("health: an access-log partition of this or next month is missing")
        return {"ok": False, "detail": "this or next month's partition is missing"}
    return {"ok": True, "detail": "this and next month's partitions exist"}


def check_replica() -> Check:
    """The reports' replica (masip/replica.py): reachable, and how far behind.

    Behind is reported, not a failure: the report pages say so themselves, and a replica
    catching up after a burst of writes is no reason to take anything out of service.
    """
    from masip import replica

    try:
        fresh = replica.freshness()
    except Exception:
        logger.warning("health: replica unreachable")
        return {"ok": False, "detail": "unreachable"}
    if fresh is not None and fresh.unreachable:
        logger.warning("health: replica unreachable")
        return {"ok": False, "detail": "unreachable"}
    if fresh is None or fresh.behind_seconds is None:
        return {"ok": True, "detail": "nothing replayed yet"}
    late = " (over the warning threshold)" if fresh.lagging else ""
    return {"ok": True, "detail": f"{fresh.behind_seconds} seconds behind{late}"}


def readiness_checks() -> dict[str, Check]:
    """May this web process take requests: its database, Redis, and somewhere to write the log.

    No Celery worker is needed to serve pages (that is /healthz's wider check)."""
    database = check_database()
    checks = {"database": database, "redis": check_redis()}
    if database["ok"]:
        checks["access_log"] = check_access_log_partitions()
    return checks


def run_checks() -> dict[str, Check | QueueStats]:
    database = check_database()
    cache = check_redis()
    worker = check_celery(cache["ok"])
    checks: dict[str, Check | QueueStats] = {"database": database, "redis": cache, "celery": worker}
    if cache["ok"]:
        # Reported, not a reason to take a web server out of rotation: a long e-mail queue
        # is work in hand, and the web servers are not what would drain it.
        checks["queues"] = queue_stats()
    if "replica" in settings.DATABASES:
        checks["replica"] = check_replica()
    return checks
