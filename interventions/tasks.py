"""Thin Celery tasks: ids in, a service call. Idempotent and safe to retry.

A concern's e-mail is no longer sent here: it is the notifications app's (its alert's one
e-mail, ``notifications.send_notification_email``, and the sweep for any task lost).
"""

from __future__ import annotations
