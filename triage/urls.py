"""Pages of the triage app, mounted at /triage/ and under /cases/<id>/ by masip/urls.py."""

from django.urls import URLPattern

app_name = "triage"
urlpatterns: list[URLPattern] = []
