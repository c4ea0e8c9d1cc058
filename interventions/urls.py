"""Pages of the interventions app, mounted at /interventions/ and under /cases/<id>/ by masip/urls.py."""

from django.urls import URLPattern

app_name = "interventions"
urlpatterns: list[URLPattern] = []
