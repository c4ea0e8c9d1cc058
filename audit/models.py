"""The access log: every look at, change to, export or disclosure of personal data.

The Data Protection Act 2018 s.62 requires logs of consultation and disclosure as
well as alteration; no history library logs reads, so this is the project's own
table. It is append-only: the application has no update or delete path; the database
refuses UPDATE, DELETE and TRUNCATE by triggers (django-pgtrigger), and the
application's database role is granted only SELECT and INSERT on it, so it cannot set
the triggers aside either (``masip.database.grant_application_role``).

The table is partitioned by month (``audit/partitions.py``, migration 0003): its primary
key in the database is (id, at); ids come from one sequence, so ``id`` is unique alone.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Now


class AccessAction(models.TextChoices):
    VIEW = "view", "View"
    SEARCH = "search", "Search"
    CREATE = "create", "Create"
    CHANGE = "change", "Change"
    EXPORT = "export", "Export"
    DISCLOSE = "disclose", "Disclose"


class AccessLog(models.Model):
    # The partition key (audit/partitions.py). No index of its own, nor on user and
    # partnership alone: the (user, at) and (partnership, at) indexes below serve those.
    at = models.DateTimeField(db_default=Now())
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    # Agency and partnership as they were at the time: staff move between agencies.
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, related_name="+")
    partnership = models.ForeignKey(
        "agencies.Partnership", on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    action = models.CharField(max_length=10, choices=AccessAction.choices)
    # "cases.case", "cases.person", "agencies.user" ...
    record_type = models.CharField(max_length=60)
    # One id for a record page; every id shown for a list page.
    record_ids = ArrayField(models.CharField(max_length=64), default=list)
    purpose = models.TextField(blank=True)
    # A break-glass access: a look outside the agency's normal scope, with a reason.
    break_glass = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            GinIndex(fields=["record_ids"], name="accesslog_record_ids_gin"),
            models.Index(fields=["user", "-at"], name="accesslog_user_at"),
            models.Index(fields=["partnership", "-at"], name="accesslog_partnership_at"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
            # TRUNCATE fires no row triggers: a statement trigger of its own. (pgtrigger's
            # Protect takes statement level only with transition tables, which TRUNCATE lacks.)
            pgtrigger.Trigger(
                name="append_only_truncate",
                operation=pgtrigger.Truncate,
                level=pgtrigger.Statement,
                when=pgtrigger.Before,
                func="RAISE EXCEPTION 'pgtrigger: Cannot truncate % table: it is append-only', TG_TABLE_NAME;",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.record_type}"
