"""Pages of the advocacy app, mounted at /advocacy/ and under /cases/<id>/ by masip/urls.py."""

from django.urls import URLPattern

app_name = "advocacy"
urlpatterns: list[URLPattern] = []
