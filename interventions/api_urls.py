"""API routes of the interventions app, under /api/v1/."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
