"""The API under /api/v1/: each app adds its routes here."""

from django.urls import include, path

urlpatterns = [
    path("", include("agencies.api_urls")),
    path("", include("cases.api_urls")),
    path("", include("risk.api_urls")),
    path("", include("triage.api_urls")),
    path("", include("advocacy.api_urls")),
    path("", include("interventions.api_urls")),
    path("", include("reporting.api_urls")),
]
