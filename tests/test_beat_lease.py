"""Two beat processes cannot both fire the schedule (masip/beat.py), on real Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.conf import settings

from masip.beat import LEASE_KEY, BeatLease


@pytest.fixture
def leases() -> Iterator[tuple[BeatLease, BeatLease]]:
    first, second = BeatLease(settings.CELERY_BROKER_URL, seconds=2), BeatLease(settings.CELERY_BROKER_URL, seconds=2)
    first.client.delete(LEASE_KEY)
    yield first, second
    first.client.delete(LEASE_KEY)


def test_one_beat_holds_the_lease_and_the_other_stands_by(leases: tuple[BeatLease, BeatLease]) -> None:
    first, second = leases
    assert first.hold()
    assert not second.hold()
    # The holder renews it at every tick; the standby still cannot take it.
    for _ in range(3):
        time.sleep(0.8)
        assert first.hold()
        assert not second.hold()


def test_a_standby_takes_over_when_the_holder_dies_or_stops(leases: tuple[BeatLease, BeatLease]) -> None:
    first, second = leases
    assert first.hold()
    time.sleep(2.5)  # the holder died: no renewal, the lease expires
    assert second.hold()
    assert not first.hold()  # and the old holder, back, does not fire alongside it
    second.release()
    assert first.hold()


def test_the_beat_scheduler_is_the_guarded_one() -> None:
    from celery.utils.imports import symbol_by_name

    from masip.beat import GuardedDatabaseScheduler

    assert symbol_by_name(settings.CELERY_BEAT_SCHEDULER) is GuardedDatabaseScheduler
