"""One beat at a time: django-celery-beat's scheduler, firing only while it holds a lease in Redis.

Two beat processes (a second machine, a restarted container that overlaps the old one, an
operator's mistake) would each send every due task: two reminder runs, two returns. Celery
beat has no lock of its own. So each beat process takes a lease (a Redis key, set only if
absent, with a short expiry) before each tick and renews it while it runs; a process that
does not hold it stands by and asks again a few seconds later. If the holder dies, its
lease expires after ``LEASE_SECONDS`` and a standby takes over: a schedule is late by at
most that much, never fired twice. The lease lives in the broker's Redis, which every
beat must reach anyway.
"""

from __future__ import annotations

import logging
import socket
import uuid
from typing import Any

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

LEASE_KEY = "masip:beat:lease"
LEASE_SECONDS = 30
STANDBY_SECONDS = 5

# Renew only one's own lease (compare and extend in one step).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('expire', KEYS[1], ARGV[2])
end
return 0
"""


class BeatLease:
    def __init__(self, url: str, *, seconds: int = LEASE_SECONDS) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.token = f"{socket.gethostname()}:{uuid.uuid4().hex}"
        self.seconds = seconds

    def hold(self) -> bool:
        """Take the lease if free, renew it if ours; False while another beat holds it."""
        try:
            if self.client.set(LEASE_KEY, self.token, nx=True, ex=self.seconds):
                return True
            return bool(self.client.eval(_RENEW, 1, LEASE_KEY, self.token, self.seconds))
        except redis.RedisError:
            # Without Redis no task could be sent anyway; do not fire on a guess.
            logger.warning("beat: the lease could not be checked; standing by")
            return False

    def release(self) -> None:
        try:
            if self.client.get(LEASE_KEY) == self.token.encode():
                self.client.delete(LEASE_KEY)
        except redis.RedisError:
            logger.warning("beat: the lease could not be released; it expires on its own")


class GuardedDatabaseScheduler(DatabaseScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lease = BeatLease(settings.CELERY_BROKER_URL)
        self._held = False
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        held = self.lease.hold()
        if held != self._held:
            logger.info("beat: %s the schedule", "firing" if held else "standing by; another beat fires")
            self._held = held
        if not held:
            return float(STANDBY_SECONDS)
        return float(super().tick(*args, **kwargs))

    def close(self) -> None:
        super().close()
        self.lease.release()
