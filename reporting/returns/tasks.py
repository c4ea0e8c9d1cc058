"""The job that generates a return. Thin: an id in, the service does the work.

Registered by ``reporting.apps.ReportingConfig.ready`` (the worker's autodiscovery looks
only at ``reporting.tasks``).
"""

from __future__ import annotations

from celery import shared_task

from reporting.returns import services


@shared_task(name="reporting.generate_return", acks_late=True, ignore_result=False)
def generate_return(return_id: int) -> str:
    return services.return_generate(return_id=return_id)
