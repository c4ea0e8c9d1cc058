"""Pages of the risk app, mounted at /risk/ and under /cases/<id>/ by masip/urls.py."""

from django.urls import URLPattern

app_name = "risk"
urlpatterns: list[URLPattern] = []
