"""API plumbing shared by every app's apis.py."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request


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
