"""Dependency checks for /healthz: database, Redis and a Celery worker.

Each check has a short timeout so a dead dependency answers 503 in about a
second instead of hanging the load balancer's probe. Messages are generic:
the endpoint is unauthenticated and must not reveal hosts or credentials.
"""

from __future__ import annotations

import logging
from typing import TypedDict

import redis
from django.conf import settings
from django.db import connection

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


def run_checks() -> dict[str, Check]:
    database = check_database()
    cache = check_redis()
    worker = check_celery(cache["ok"])
    return {"database": database, "redis": cache, "celery": worker}
