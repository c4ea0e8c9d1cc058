"""The access log partitioned by month: made ahead, detached whole, append-only on every partition.

The application role's side of it (no rights on a partition or an archive, only the two
maintenance functions) is in test_database_roles.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from audit import partitions
from audit.models import AccessAction, AccessLog
from audit.services import access_log_partitions_maintain, access_record
from masip import jobs
from tests.factories import World


def _utc_month(when: dt.datetime) -> dt.date:
    return when.astimezone(dt.UTC).date().replace(day=1)


def _name(month: dt.date) -> str:
    return f"audit_accesslog_y{month:%Y}m{month:%m}"


def _months_back(months: int) -> dt.date:
    first = _utc_month(timezone.now())
    index = first.year * 12 + first.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _refused(sql: str, params: list[int] | None = None) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params or [])
    except DatabaseError:
        return True
    return False


def test_a_row_lands_in_its_months_partition_and_the_next_three_months_are_made(world: World) -> None:
    entry = access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=[7])
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM audit_accesslog WHERE id = %s", [entry.pk])
        (table,) = cursor.fetchone()
        names = partitions.partitions(cursor=cursor)
    assert table == _name(_utc_month(entry.at))
    ahead = partitions.months_from(_utc_month(timezone.now()), 4)
    assert {_name(month) for month in ahead} <= set(names)


def test_maintenance_makes_the_months_ahead_once(db: None) -> None:
    later = _months_back(-6)  # six months from now: partitions the migration did not make
    first = access_log_partitions_maintain(today=later, online_months=24)
    assert first.created == [_name(month) for month in partitions.months_from(later, 4)]
    assert first.detached == []
    again = access_log_partitions_maintain(today=later, online_months=24)
    assert again.created == []
    assert again.detached == []


def test_every_partition_refuses_update_delete_and_truncate_even_from_the_owner(world: World) -> None:
    entry = access_record(user=world.advocate, action=AccessAction.VIEW, record_type="cases.case", record_ids=[7])
    own = _name(_utc_month(entry.at))
    with connection.cursor() as cursor:
        names = partitions.partitions(cursor=cursor)
    assert len(names) >= 4
    assert _refused(f"UPDATE {own} SET purpose = 'tampered' WHERE id = %s", [entry.pk])
    assert _refused(f"DELETE FROM {own} WHERE id = %s", [entry.pk])
    for name in names:
        assert _refused(f"TRUNCATE {name}"), name
    assert AccessLog.objects.get(pk=entry.pk).purpose == ""


def test_months_past_the_online_period_are_detached_whole_and_stay_append_only(world: World) -> None:
    old = _months_back(30)
    kept = _months_back(23)
    with connection.cursor() as cursor:
        for month in (old, kept):
            partitions.partition_create(cursor=cursor, month=month)
            for day in (2, 20):
                cursor.execute(
                    "INSERT INTO audit_accesslog (at, action, record_type, record_ids, purpose, break_glass, user_id)"
                    " VALUES (%s, 'view', 'cases.case', '{5}', '', false, %s)",
                    [dt.datetime.combine(month.replace(day=day), dt.time(12), tzinfo=dt.UTC), world.advocate.pk],
                )
    today = timezone.now().date()
    done = access_log_partitions_maintain(today=today, online_months=24)

    archive = f"{partitions.ARCHIVE_PREFIX}y{old:%Y}m{old:%m}"
    assert done.detached == [archive]
    with connection.cursor() as cursor:
        names = partitions.partitions(cursor=cursor)
        assert _name(old) not in names
        assert _name(kept) in names
        assert archive in partitions.archives(cursor=cursor)
        cursor.execute(f"SELECT count(*) FROM {archive}")
        assert cursor.fetchone() == (2,)
    # Out of the log's sight, the month before the online period still in it.
    assert AccessLog.objects.filter(at__lt=dt.datetime.combine(kept, dt.time.min, tzinfo=dt.UTC)).count() == 0
    kept_end = partitions.months_from(kept, 2)[1]
    assert (
        AccessLog.objects.filter(
            at__gte=dt.datetime.combine(kept, dt.time.min, tzinfo=dt.UTC),
            at__lt=dt.datetime.combine(kept_end, dt.time.min, tzinfo=dt.UTC),
        ).count()
        == 2
    )
    # The archive is as append-only as the partition was.
    assert _refused(f"UPDATE {archive} SET purpose = 'tampered'")
    assert _refused(f"DELETE FROM {archive}")
    assert _refused(f"TRUNCATE {archive}")
    # A second run detaches nothing more.
    assert access_log_partitions_maintain(today=today, online_months=24).detached == []


def test_detaching_keeps_at_least_twelve_months_online(db: None) -> None:
    with pytest.raises(DatabaseError, match="at least 12 months"), transaction.atomic():
        access_log_partitions_maintain(today=timezone.now().date(), online_months=11)


def test_the_job_is_scheduled_daily_on_the_nightly_queue(db: None) -> None:
    task = PeriodicTask.objects.select_related("crontab").get(task="audit.maintain_access_log_partitions")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_month) == ("10", "1", "*")
    assert jobs.JOBS["audit.maintain_access_log_partitions"].queue == jobs.NIGHTLY


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_a_missing_partition_again(celery_worker_process: object) -> None:
    from audit.tasks import maintain_access_log_partitions

    next_month = _months_back(-1)
    name = _name(next_month)
    with connection.cursor() as cursor:
        # As the owner of the test database: take next month's partition away entirely.
        cursor.execute(f"ALTER TABLE audit_accesslog DETACH PARTITION {name}")
        cursor.execute(f"DROP TABLE {name}")
    result = maintain_access_log_partitions.delay().get(timeout=60)
    assert name in result["created"]
    with connection.cursor() as cursor:
        assert name in partitions.partitions(cursor=cursor)
    # Rows of next month have somewhere to go.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_accesslog (at, action, record_type, record_ids, purpose, break_glass)"
            " VALUES (%s, 'view', 'cases.case', '{1}', '', false) RETURNING tableoid::regclass::text",
            [dt.datetime.combine(next_month.replace(day=15), dt.time(9), tzinfo=dt.UTC)],
        )
        assert cursor.fetchone() == (name,)
