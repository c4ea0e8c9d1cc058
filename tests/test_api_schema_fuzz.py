"""Generated requests against the whole API, in-process, as a signed-in user of each role.

Schemathesis reads the OpenAPI schema the API publishes and, for every operation, sends
requests that fit it (positive) and requests that break it (negative) through the WSGI
application: no server, no network. Every response must be a documented status code with
a body that fits the schema, never a 5xx, and a request that breaks the schema must be
refused (4xx). The examples per operation are bounded and the generation is derandomised,
so a run is the same every time and a failure names a request that can be replayed.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import CSRF_SECRET_LENGTH
from django.test import Client
from django.utils.crypto import get_random_string
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from agencies.models import User
from tests.case_factories import make_case
from tests.factories import World

pytestmark = pytest.mark.django_db

ROLES = ("triage_officer", "advocate", "clinician", "probation_practitioner", "programme_manager", "admin")
# Per operation, per generation mode, per role: small, because there are 130 operations and
# six roles (about 2,300 requests in all). The derandomised generator starts from each
# parameter's edges, so a few examples find what a few hundred would. MASIP_FUZZ_POSITIVE
# and MASIP_FUZZ_NEGATIVE raise them for a longer run by hand.
EXAMPLES = {
    GenerationMode.POSITIVE: int(os.environ.get("MASIP_FUZZ_POSITIVE", "2")),
    GenerationMode.NEGATIVE: int(os.environ.get("MASIP_FUZZ_NEGATIVE", "1")),
}

CHECKS = {
    GenerationMode.POSITIVE: [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ],
    GenerationMode.NEGATIVE: [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        negative_data_rejection,
    ],
}


@pytest.fixture(scope="module")
def wsgi_app() -> Iterator[Any]:
    """The project's WSGI application, called in-process.

    A request normally ends by closing the database connection; here that connection
    holds the test's transaction, so (as Django's own test client does) it stays open.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def schema_document() -> dict[str, Any]:
    """The schema the API publishes at /api/v1/schema/, built once (a few seconds) for every role."""
    document: dict[str, Any] = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
    return document


def _credentials(user: User) -> tuple[dict[str, str], dict[str, str]]:
    """The session and CSRF cookies of a signed-in user, and the CSRF header the API wants."""
    client = Client()
    client.force_login(user)
    csrf_secret = get_random_string(CSRF_SECRET_LENGTH)
    cookies = {"masip_session": client.cookies["masip_session"].value, "csrftoken": csrf_secret}
    return cookies, {"X-CSRFToken": csrf_secret}


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


def _explore(
    operation: Any, mode: GenerationMode, examples: int, *, headers: dict[str, str], cookies: dict[str, str]
) -> int:
    """Send ``examples`` generated requests to one operation and check each answer; how many were sent."""
    sent = 0

    @hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal sent
        sent += 1
        response = case.call(headers=headers, cookies=cookies)
        case.validate_response(response, checks=CHECKS[mode])

    run()
    return sent


@pytest.mark.parametrize("role", ROLES)
def test_generated_requests_get_documented_answers(
    role: str, world: World, wsgi_app: Any, schema_document: dict[str, Any]
) -> None:
    user: User = getattr(world, role)
    make_case(world.triage_officer)
    schema = schemathesis.openapi.from_dict(copy.deepcopy(schema_document))
    # The session cookie is the signed-in user's, sent with every request; leaving it out is
    # test_permission_matrix's business (401), not something to generate here.
    schema.config.generation.update(with_security_parameters=False)
    schema.app = wsgi_app
    cookies, headers = _credentials(user)
    failures: list[str] = []
    cases = 0
    for operation in _operations(schema):
        for mode, examples in EXAMPLES.items():
            try:
                cases += _explore(operation, mode, examples, headers=headers, cookies=cookies)
            except hypothesis.errors.Unsatisfiable:
                continue  # nothing in the operation to get wrong (no parameters, no body)
            except (Exception, BaseExceptionGroup) as exc:  # every failure is collected, then reported together
                failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")
    assert not failures, f"{len(failures)} operations failed out of {cases} cases:\n\n" + "\n\n".join(failures)
    assert cases > 0
