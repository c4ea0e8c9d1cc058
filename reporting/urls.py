"""Pages of the reporting app, mounted at /reporting/ and under /cases/<id>/ by masip/urls.py."""

from django.urls import URLPattern

app_name = "reporting"
urlpatterns: list[URLPattern] = []
