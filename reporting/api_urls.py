"""API routes of the reporting app, under /api/v1/."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

# Quarterly returns and the programme dashboard (reporting/returns/).
from django.urls import path  # noqa: E402

from reporting.returns import apis as returns_apis  # noqa: E402

urlpatterns += [
    path("reporting/returns/", returns_apis.ReturnListApi.as_view(), name="api-reporting-returns"),
    path(
        "reporting/returns/<int:return_id>/", returns_apis.ReturnDetailApi.as_view(), name="api-reporting-return-detail"
    ),
    path(
        "reporting/returns/<int:return_id>/download/<str:file_format>/",
        returns_apis.ReturnDownloadApi.as_view(),
        name="api-reporting-return-download",
    ),
    path("reporting/dashboard/", returns_apis.DashboardApi.as_view(), name="api-reporting-dashboard"),
]

# The evaluation tables (reporting/evaluation_apis.py).
from reporting.evaluation_apis import EvaluationApi  # noqa: E402

urlpatterns += [
    path("partnerships/<slug:slug>/evaluation/", EvaluationApi.as_view(), name="api-partnership-evaluation"),
]
