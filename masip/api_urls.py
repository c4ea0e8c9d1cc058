"""The API under /api/v1/: each app adds its routes here."""

from django.urls import include, path

# The OpenAPI schema's session scheme registers itself when masip.api is imported. Here,
# not in an AppConfig.ready(): the schema is only ever built through the URLs (the page
# and `manage.py spectacular` both load them), and DRF and drf-spectacular stay out of the
# start-up of processes that never serve the API (management commands, the workers).
from masip import api  # noqa: F401

urlpatterns = [
    path("", include("agencies.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("cases.api_urls")),
    path("", include("risk.api_urls")),
    path("", include("triage.api_urls")),
    path("", include("advocacy.api_urls")),
    path("", include("interventions.api_urls")),
    path("", include("followups.api_urls")),
    path("", include("costs.api_urls")),
    path("", include("documents.api_urls")),
    path("", include("consent.api_urls")),
    path("", include("privacy.api_urls")),
    path("", include("reporting.api_urls")),
]
