"""The API under /api/v1/: each app adds its routes here."""

from django.urls import include, path

urlpatterns = [
    path("", include("agencies.api_urls")),
    path("", include("cases.api_urls")),
]
