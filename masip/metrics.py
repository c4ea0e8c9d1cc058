"""Prometheus metrics at /metrics, with prometheus_client (the reference client library).

- ``masip_http_request_duration_seconds{view, method}``: latency by view (the URL pattern's
  name, never the path), a histogram, with ``masip_http_requests_total{view, method, status}``.
- ``masip_celery_queue_depth{queue}`` and ``masip_celery_oldest_unacked_seconds``: read from
  the broker when scraped (the same figures as /healthz).
- ``masip_celery_task_failures_total{task}``: counted by the workers in Redis (they run on
  other machines), read when scraped.

gunicorn runs several processes: with ``PROMETHEUS_MULTIPROC_DIR`` set (docker-compose.yml,
gunicorn.conf.py) each writes its samples to that directory and a scrape adds them up.

Not public: the endpoint answers only a scraper presenting ``MASIP_METRICS_TOKEN`` as a
bearer token, and 404 to anyone else (or to everyone while no token is set).
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Iterator
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "masip_http_request_duration_seconds",
    "Time to answer a request, by view",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10),
)
REQUESTS = Counter("masip_http_requests", "Requests answered, by view and status", ["view", "method", "status"])

FAILURES_KEY = "masip:metrics:task_failures"


def request_observe(*, view: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(view=view, method=method).observe(seconds)
    REQUESTS.labels(view=view, method=method, status=str(status)).inc()


def task_failure_count(*, task: str) -> None:
    """Called by a worker when a task fails for good (masip/celery.py)."""
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1)
        client.hincrby(FAILURES_KEY, task, 1)
        client.close()
    except redis.RedisError:
        logger.warning("metrics: a task failure could not be counted")


class BrokerCollector(Collector):
    """Queue depth and task failures, read from Redis at each scrape."""

    def collect(self) -> Iterator[Any]:
        from masip.health import queue_stats

        stats = queue_stats()
        depth = GaugeMetricFamily("masip_celery_queue_depth", "Messages waiting in each queue", labels=["queue"])
        for queue, count in stats["depth"].items():
            depth.add_metric([queue], count)
        yield depth
        oldest = GaugeMetricFamily(
            "masip_celery_oldest_unacked_seconds", "Age of the oldest delivered, unacknowledged task"
        )
        oldest.add_metric([], stats["oldest_unacked_seconds"] or 0.0)
        yield oldest
        failures = CounterMetricFamily(
            "masip_celery_task_failures", "Tasks that failed for good, by task", labels=["task"]
        )
        counts: dict[str, int] = {}
        try:
            client = redis.Redis.from_url(
                settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1, decode_responses=True
            )
            counts = {str(task): int(count) for task, count in client.hgetall(FAILURES_KEY).items()}
            client.close()
        except redis.RedisError:
            logger.warning("metrics: task failures unreadable")
        for task, count in sorted(counts.items()):
            failures.add_metric([task], count)
        yield failures


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in list(REGISTRY._collector_to_names):  # this process's own metrics
            registry.register(collector)
    registry.register(BrokerCollector())
    return registry


def _authorised(request: HttpRequest) -> bool:
    token = settings.MASIP_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@login_not_required
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        raise Http404
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
