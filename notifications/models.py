"""The notification: one alert to one member of staff (see the package's docstring)."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q


@pghistory.track()
class Notification(models.Model):
    """An alert to one member of staff: in the inbox, and e-mailed when asked.

    Subjects and bodies name cases by reference only, never a person: the e-mail
    leaves the system. ``key`` makes a job's alert idempotent (one per recipient and key).
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    key = models.CharField(max_length=200, blank=True)
    email = models.BooleanField(default=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], condition=~Q(key=""), name="notification_once_per_key")
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
            models.Index(
                fields=["created_at"], condition=Q(email=True, emailed_at__isnull=True), name="notification_email_due"
            ),
        ]

    def __str__(self) -> str:
        return self.subject
