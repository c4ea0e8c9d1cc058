"""gunicorn's settings file, read from the working directory (the Dockerfile's command adds the rest).

With several worker processes, Prometheus metrics are kept per process in
PROMETHEUS_MULTIPROC_DIR and added up at each scrape (masip/metrics.py); a worker that
exits must have its live gauges dropped, or they would be counted for ever.
"""

from __future__ import annotations

import os
from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
