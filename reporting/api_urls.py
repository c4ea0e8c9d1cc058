"""API routes of the reporting app, under /api/v1/."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
