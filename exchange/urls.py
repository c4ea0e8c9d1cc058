"""Pages of the exchange app (the data bundle), mounted at /bundle/ by masip/urls.py.

Until this app was split out of reporting the pages lived under /reporting/bundle/;
masip/urls.py answers those addresses with a permanent redirect here.
"""

from django.urls import URLPattern, path

from exchange import views

app_name = "exchange"
urlpatterns: list[URLPattern] = [
    path("", views.bundle_home, name="bundle"),
    path("import/", views.bundle_import, name="bundle_import"),
    path("import/<uuid:job_id>/", views.bundle_import_job, name="bundle_import_job"),
    path("export/", views.bundle_export, name="bundle_export"),
    path("history/", views.bundle_history, name="bundle_history"),
]
