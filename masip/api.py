"""API plumbing shared by every app's apis.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import parsers, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException, ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from masip.concurrency import CONFLICT_MESSAGE, EditConflict

T = TypeVar("T")


class StaffSessionAuthentication(SessionAuthentication):
    """Django's session (with CSRF); a signed-out call answers 401, not 403.

    DRF answers 403 for a failed authentication unless the first authentication
    class names a WWW-Authenticate scheme; 401 tells a client to sign in again
    (for example after the 30-minute idle timeout), 403 would mean "not allowed".
    """

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="api"'


class StaffSessionScheme(OpenApiAuthenticationExtension):
    """Describe the session authentication in the OpenAPI schema (cookie + CSRF header)."""

    target_class = "masip.api.StaffSessionAuthentication"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "masip_session"}


# No write of this API takes more than a few levels of nesting; a body nested deeper is
# refused before any serializer walks it.
MAX_JSON_DEPTH = 32


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 (not 500) for a body nested too deeply.

    DRF turns only ValueError into a parse error; thousands of nested arrays in a small
    body make the decoder raise RecursionError, and a few hundred that decode would make
    every later walk over the data (validation, error rendering) recurse as deep.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply") from None
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(f"JSON parse error - the body is nested more than {MAX_JSON_DEPTH} levels deep")
        return data


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Whether ``data`` nests lists and objects more than ``limit`` deep (iteratively: no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if depth > limit:
                return True
            stack.extend((item, depth + 1) for item in value)
    return False


class PreconditionFailed(APIException):
    """412: the ``If-Match`` version is not the record's current one; the answer carries the current ``ETag``."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = CONFLICT_MESSAGE
    default_code = "precondition_failed"

    def __init__(self, current_version: str) -> None:
        super().__init__()
        self.current_version = current_version


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the current ``ETag`` on a 412 so the client can fetch and retry."""
    # Imported here: DRF's views import this module (the authentication class) while loading.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, PreconditionFailed):
        response["ETag"] = etag(exc.current_version)
    return response


def etag(version: str) -> str:
    return f'"{version}"'


def if_match(request: Request) -> str | None:
    """The ``If-Match`` header: the version the client last read, or None (see docs/concurrent-edits.md)."""
    value = request.headers.get("If-Match", "").strip()
    return value or None


def with_etag(response: Response, version: str) -> Response:
    response["ETag"] = etag(version)
    return response


# Documents the optional If-Match header on every write that takes it.
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "The `ETag` you last read. If the record changed since, nothing is written and the "
        "answer is 412 with the current `ETag`. Without it the change is still merged into "
        "the record as it is at the time of writing."
    ),
)
PRECONDITION_FAILED = {
    412: OpenApiResponse(description="The record changed since the `ETag` in `If-Match`: read it again")
}


def call_service(service: Callable[..., T], **kwargs: Any) -> T:
    """Run a service; its ValidationError answers 400 with the same ``{field: [messages]}``.

    An ``EditConflict`` (the caller's ``If-Match`` was stale) answers 412.
    """
    try:
        return service(**kwargs)
    except EditConflict as exc:
        raise PreconditionFailed(exc.current_version) from exc
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        raise serializers.ValidationError(detail) from exc


def validated(serializer_class: type[serializers.Serializer[Any]], data: Any, **kwargs: Any) -> dict[str, Any]:
    """The input serializer's validated data, or a 400 with its field errors."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


UNSAFE_METHODS = {"post", "put", "patch", "delete"}


def document_common_answers(
    result: dict[str, Any], generator: Any, request: Any, public: bool, **kwargs: Any
) -> dict[str, Any]:
    """Add to every operation of the schema the answers any endpoint can give.

    Each endpoint documents its own successes and the errors particular to it; these
    come from the plumbing every endpoint shares, and a client must expect them all:
    401 from the session authentication, 404 from ``StaffOnly`` and the read functions
    (outside your scope, or a role with no use for the endpoint), 403 from the CSRF check
    on a write, 400 from any input (a query parameter or a body) that does not validate.
    """
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.setdefault("401", {"description": "Not signed in, or the session has expired"})
            responses.setdefault("404", {"description": "No such record, or outside your scope"})
            has_input = "requestBody" in operation or any(
                parameter.get("in") == "query" for parameter in operation.get("parameters", [])
            )
            if has_input:
                responses.setdefault("400", {"description": "Field errors: `{field: [message, ...]}`"})
            if method in UNSAFE_METHODS:
                responses.setdefault(
                    "403", {"description": "The CSRF token is missing or wrong, or your role may not do this"}
                )
    return result
