"""Pages of the reporting app, mounted at /reporting/ and under /cases/<id>/ by masip/urls.py."""

from django.urls import URLPattern, URLResolver, path

app_name = "reporting"
urlpatterns: list[URLPattern | URLResolver] = []

# Quarterly returns, the programme dashboard, data quality and training events (reporting/returns/).
from reporting.returns import views as returns_views  # noqa: E402

urlpatterns += [
    path("returns/", returns_views.returns_home, name="returns"),
    path("returns/preview/", returns_views.return_preview, name="return_preview"),
    path("returns/generate/", returns_views.return_generate, name="return_generate"),
    path("returns/<int:return_id>/", returns_views.return_detail, name="return_detail"),
    path("returns/<int:return_id>/progress/", returns_views.return_progress, name="return_progress"),
    path(
        "returns/<int:return_id>/download/<str:file_format>/",
        returns_views.return_download,
        name="return_download",
    ),
    path("definitions/<int:definition_id>/", returns_views.definition_detail, name="definition_detail"),
    path(
        "definitions/<int:definition_id>/versions/<int:number>/",
        returns_views.definition_detail,
        name="definition_version",
    ),
    path("definitions/<int:definition_id>/indicators/add/", returns_views.indicator_add, name="indicator_add"),
    path(
        "definitions/<int:definition_id>/indicators/<slug:key>/edit/",
        returns_views.indicator_edit,
        name="indicator_edit",
    ),
    path(
        "definitions/<int:definition_id>/indicators/<slug:key>/remove/",
        returns_views.indicator_remove,
        name="indicator_remove",
    ),
    path(
        "definitions/<int:definition_id>/indicators/<slug:key>/move/",
        returns_views.indicator_move,
        name="indicator_move",
    ),
    path("training/", returns_views.training_list, name="training_list"),
    path("training/<int:event_id>/", returns_views.training_edit, name="training_edit"),
    path("training/<int:event_id>/delete/", returns_views.training_delete, name="training_delete"),
    path("dashboard/", returns_views.dashboard, name="dashboard"),
    path("dashboard/cases/", returns_views.dashboard_cases, name="dashboard_cases"),
    path("data-quality/", returns_views.data_quality_report, name="data_quality"),
    path("data-quality/<slug:key>/", returns_views.data_quality_cases, name="data_quality_cases"),
]

# The evaluation tables (reporting/evaluation*). The data bundle is the exchange app's (exchange/urls.py).
from reporting import evaluation_views  # noqa: E402

urlpatterns += [
    path("evaluation/", evaluation_views.evaluation_page, name="evaluation"),
    path(
        "evaluation/download/<str:file_format>/",
        evaluation_views.evaluation_download,
        name="evaluation_download",
    ),
]
