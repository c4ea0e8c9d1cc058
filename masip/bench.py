"""What the benchmark commands share: the machine's load and the database backend's CPU."""

from __future__ import annotations

import os
from pathlib import Path

from django.db import connection


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0 to 100) of ``values``: the nearest of the sorted values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def load_average() -> str:
    """The 1, 5 and 15-minute load averages, as a benchmark prints them beside its figures."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def backend_cpu_seconds() -> float:
    """CPU seconds this connection's PostgreSQL backend has used (0 when it is on another machine).

    Counted by the kernel in clock ticks (10 ms here): read it around a run of work, not one
    short statement."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    try:
        fields = Path(f"/proc/{row[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime: the 14th and 15th fields (the 12th and 13th after the name).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
