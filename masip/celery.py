"""The Celery app. Tasks live in each app's tasks.py and are thin: ids in, a service call."""

import os
from typing import Any

from celery import Celery, signals

from masip.startup import exit_on_config_error

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masip.settings.local")

app = Celery("masip")


def _configure() -> None:
    app.config_from_object("django.conf:settings", namespace="CELERY")
    # Touch the settings now so a bad value fails the worker at start, not on first task.
    from django.conf import settings

    settings.INSTALLED_APPS  # noqa: B018


exit_on_config_error(_configure)
app.autodiscover_tasks()


@app.task(name="masip.ping")
def ping() -> str:
    return "pong"


@signals.task_prerun.connect
def _task_request_id(task_id: str | None = None, **_: Any) -> None:
    """The task's id stands for the request id on the worker's log lines (masip/logging.py)."""
    from masip.logging import request_id

    request_id.set(task_id or "")


@signals.task_failure.connect
def _count_failure(sender: Any = None, **_: Any) -> None:
    """A task that failed for good (its retries spent, or none): /metrics counts it by name."""
    from masip.metrics import task_failure_count

    task_failure_count(task=getattr(sender, "name", "unknown"))
