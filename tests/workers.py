"""Real Celery workers for the tests: one launcher, the differences between the suites as
parameters (the settings module, the queues, extra environment such as a slow step's pause).

Every worker runs ``tests.worker_app`` (the project's app, clearing the process caches before
each task) on the test database and real Redis, in a process of its own with the solo pool,
under a hostname of its own so that a ping reaches it alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def wait_for(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def database_url_for(db_settings: Mapping[str, object]) -> str:
    """The test database as a ``DATABASE_URL``, for a process started by a test."""
    user = str(db_settings["USER"] or "")
    password = f":{db_settings['PASSWORD']}" if db_settings["PASSWORD"] else ""
    auth = f"{user}{password}@" if user else ""
    host = str(db_settings["HOST"])
    if host.startswith("/"):
        return f"postgresql://{auth}/{db_settings['NAME']}?host={host}"
    port = f":{db_settings['PORT']}" if db_settings["PORT"] else ""
    return f"postgresql://{auth}{host}{port}/{db_settings['NAME']}"


def in_slow_step(marker: str) -> bool:
    """Whether another connection is in the statement tagged ``/* marker */``: a job's slow step
    (``MASIP_*_PAUSE_SECONDS``), inside the transaction a kill test interrupts."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
            "AND query LIKE %s AND pid <> pg_backend_pid()",
            [f"%{marker}%"],
        )
        row = cursor.fetchone()
        return bool(row and row[0])


class Worker:
    """A Celery worker process consuming ``queues``.

    ``settings_module``: the Django settings it runs with (a test's own module sets batch sizes
    and broker timing); ``env``: variables added to the test process's environment;
    ``heartbeat``: send worker heartbeats (the kill tests turn them off, so that only the
    broker's visibility timeout brings a lost task back); ``wait``: return once the worker
    answers a ping (without it, call ``ready`` after starting several at once).
    """

    def __init__(
        self,
        queues: Sequence[str],
        *,
        settings_module: str = "masip.settings.test",
        env: Mapping[str, str] | None = None,
        log_prefix: str = "celery-worker-",
        heartbeat: bool = False,
        wait: bool = True,
    ) -> None:
        # Imported when a worker starts, not when the fixtures load: the app reads Django's settings.
        from masip.celery import app

        self._app = app
        environment = dict(os.environ)
        environment["DJANGO_SETTINGS_MODULE"] = settings_module
        environment["DATABASE_URL"] = database_url_for(settings.DATABASES["default"])
        environment.update(env or {})
        self.name = f"{queues[0]}-{uuid.uuid4().hex[:4]}@{os.uname().nodename}"
        fd, self.log_path = tempfile.mkstemp(prefix=log_prefix, suffix=".log")
        command = [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "tests.worker_app",
            "worker",
            "--loglevel",
            "INFO",
            "--pool",
            "solo",
            "--queues",
            ",".join(queues),
            "--hostname",
            self.name,
            "--without-gossip",
            "--without-mingle",
        ]
        if not heartbeat:
            command.append("--without-heartbeat")
        with os.fdopen(fd, "wb") as log:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        if wait:
            self.ready()

    def log_text(self) -> str:
        return Path(self.log_path).read_text()

    def ready(self, timeout: float = 60) -> None:
        """Wait until the worker answers a ping; fail with its log if it exits or never answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker {self.name} exited: {self.log_text()[-2000:]}")
            if self._app.control.ping(timeout=0.5, destination=[self.name]):
                return
        self.stop()
        raise RuntimeError(f"celery worker {self.name} did not answer: {self.log_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-task, with nothing acknowledged and nothing cleaned up."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
