"""The beat schedule (masip/schedules.py): written after migrate, once per job, back after a
test flush, every job a registered task, an operator's pause kept."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from masip.celery import app
from masip.schedules import SCHEDULES, TIMEZONE, schedules_install


def _rows() -> dict[str, tuple[str, str, str, str, bool]]:
    return {
        t.name: (t.task, t.crontab.minute, t.crontab.hour, str(t.crontab.timezone), t.enabled)
        for t in PeriodicTask.objects.select_related("crontab")
        if t.crontab is not None
    }


def _expected() -> dict[str, tuple[str, str, str, str, bool]]:
    return {s.name: (s.task, s.minute, s.hour, TIMEZONE, True) for s in SCHEDULES}


@pytest.mark.django_db
def test_the_migrated_database_holds_every_job_once() -> None:
    assert _rows() == _expected()
    assert PeriodicTask.objects.count() == len(SCHEDULES)
    # Installing again (another migrate) adds nothing and changes nothing.
    assert schedules_install(periodic_task=PeriodicTask, crontab_schedule=CrontabSchedule) == 0
    assert _rows() == _expected()
    # The jobs on the same times share a crontab row.
    assert CrontabSchedule.objects.count() == len({(s.minute, s.hour) for s in SCHEDULES})


@pytest.mark.django_db
def test_every_job_is_a_registered_task_with_a_name_of_its_own() -> None:
    app.loader.import_default_modules()
    assert {s.task for s in SCHEDULES} <= set(app.tasks)
    assert len({s.name for s in SCHEDULES}) == len(SCHEDULES)
    assert len({s.task for s in SCHEDULES}) == len(SCHEDULES)


@pytest.mark.django_db
def test_a_renamed_task_and_a_moved_time_are_put_right_and_a_pause_is_kept() -> None:
    first, second = SCHEDULES[0], SCHEDULES[1]
    # A time no job runs at, found from the schedule itself, so the "moved" time cannot be
    # one the install would keep or share by chance.
    used = {(s.minute, s.hour) for s in SCHEDULES}
    minute, hour = next((str(m), str(h)) for h in range(24) for m in range(60) if (str(m), str(h)) not in used)
    stale = CrontabSchedule.objects.create(minute=minute, hour=hour, timezone=TIMEZONE)
    assert (stale.minute, stale.hour) != (first.minute, first.hour)
    PeriodicTask.objects.filter(name=first.name).update(task="old.module.task_name", crontab=stale)
    PeriodicTask.objects.filter(name=second.name).update(enabled=False)
    schedules_install(periodic_task=PeriodicTask, crontab_schedule=CrontabSchedule)
    rows = _rows()
    assert rows[first.name] == (first.task, first.minute, first.hour, TIMEZONE, True)
    assert rows[second.name] == (second.task, second.minute, second.hour, TIMEZONE, False)


@pytest.mark.django_db(transaction=True)
def test_a_flush_does_not_lose_the_schedule() -> None:
    # What a transactional test does between tests: every table emptied, then post_migrate.
    call_command("flush", interactive=False, verbosity=0)
    assert _rows() == _expected()
