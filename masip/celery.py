"""The Celery app. Tasks live in each app's tasks.py and are thin: ids in, a service call."""

import os

from celery import Celery

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
