"""Generated requests against the whole API, in-process, as a signed-in user of each role.

Schemathesis reads the OpenAPI schema the API publishes and, for every operation, sends
requests that fit it (positive) and requests that break it (negative) through the WSGI
application: no server, no network. Every response must be a documented status code with
a body that fits the schema, never a 5xx, and a request that breaks the schema must be
refused (4xx). The examples per operation are bounded and the generation is derandomised,
so a run is the same every time and a failure names a request that can be replayed.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
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
# Per operation, per generation mode, per role: small, because there are 120-odd operations
# and six roles; the derandomised generator still covers each parameter's edges.
EXAMPLES = {GenerationMode.POSITIVE: 3, GenerationMode.NEGATIVE: 2}

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
def wsgi_app() -> Any:
    return get_wsgi_application()


def _schema_document(user: User) -> dict[str, Any]:
    client = Client()
    client.force_login(user)
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    document: dict[str, Any] = json.loads(response.content)
    return document


def _credentials(user: User) -> tuple[dict[str, str], dict[str, str]]:
    """The session and CSRF cookies of a signed-in user, and the CSRF header the API wants."""
    client = Client()
    client.force_login(user)
    csrf_secret = secrets.token_urlsafe(24)[:32]
    cookies = {"masip_session": client.cookies["masip_session"].value, "csrftoken": csrf_secret}
    return cookies, {"X-CSRFToken": csrf_secret}


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


@pytest.mark.parametrize("role", ROLES)
def test_generated_requests_get_documented_answers(role: str, world: World, wsgi_app: Any) -> None:
    user: User = getattr(world, role)
    make_case(world.triage_officer)
    schema = schemathesis.openapi.from_dict(_schema_document(user))
    schema.app = wsgi_app
    cookies, headers = _credentials(user)
    failures: list[str] = []
    cases = 0
    for operation in _operations(schema):
        for mode, examples in EXAMPLES.items():

            @hypothesis.settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any, mode: GenerationMode = mode) -> None:
                nonlocal cases
                cases += 1
                response = case.call(headers=headers, cookies=cookies)
                case.validate_response(response, checks=CHECKS[mode])

            try:
                run()
            except Exception as exc:
                failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")
    assert cases > 0
    assert not failures, f"{len(failures)} operations failed out of {cases} cases:\n\n" + "\n\n".join(failures)
