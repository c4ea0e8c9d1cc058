from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from agencies.staff import is_staff_member, staff_member, staff_required
from masip import jobs, worklist
from masip.health import queue_stats, readiness_checks, run_checks


def home(request: HttpRequest) -> HttpResponse:
    """What to do next: each kind of work waiting for this member of staff, counted."""
    lines = worklist.lines_for(request.user) if is_staff_member(request.user) else []
    context: dict[str, Any] = {"member": request.user, "work_lines": lines}
    inbox = next((line for line in lines if line.key == "notifications"), None)
    if inbox is not None:
        # The header's badge and the inbox's line are the same figure: counted once, here.
        context["unread_notifications"] = inbox.count
    return render(request, "home.html", context)


@staff_required
def today(request: HttpRequest, key: str) -> HttpResponse:
    """The cases behind one line of the home page that has no list page of its own."""
    line, rows = worklist.worklist_read(user=staff_member(request), key=key)
    return render(request, "today.html", {"line": line, "rows": rows})


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


@login_not_required
@never_cache
@require_GET
def livez(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers requests. Nothing else is asked, so a database outage does
    not make the orchestrator restart every web process at once."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: send this process traffic (database, Redis, the access log's partitions)."""
    checks = readiness_checks()
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


QUEUE_PURPOSES = {
    jobs.INTERACTIVE: "short work a person sets off, and the workers' liveness check",
    jobs.EMAIL: f"notifications' e-mails, at most {jobs.EMAIL_RATE_LIMIT} per worker",
    jobs.REPORTS: "quarterly returns",
    jobs.EXCHANGE: "bundle imports and exports",
    jobs.NIGHTLY: "the scheduled jobs and their batches",
}


@never_cache
@require_GET
def jobs_status(request: HttpRequest) -> HttpResponse:
    """The admin's view of the queues (the same figures as /healthz). Wrapped by the admin
    site's own gate in masip/urls.py, so only staff signed in to the admin reach it."""
    stats = queue_stats()
    rows = [
        {"name": name, "purpose": QUEUE_PURPOSES[name], "depth": stats["depth"].get(name, 0)} for name in jobs.QUEUES
    ]
    context = {
        **admin.site.each_context(request),
        "stats": stats,
        "rows": rows,
        "redelivery_bound": jobs.redelivery_bound(),
    }
    return render(request, "admin/jobs.html", context)
