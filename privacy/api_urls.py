"""API routes of the privacy app, under /api/v1/."""

from django.urls import path

from privacy import apis

urlpatterns = [
    path("privacy/requests/", apis.RequestsApi.as_view(), name="api-privacy-requests"),
    path("privacy/requests/<int:sar_id>/disclosure/", apis.DisclosureApi.as_view(), name="api-privacy-disclosure"),
    path("privacy/retention/batches/", apis.BatchesApi.as_view(), name="api-privacy-batches"),
    path(
        "privacy/retention/batches/<int:batch_id>/approve/",
        apis.BatchApproveApi.as_view(),
        name="api-privacy-batch-approve",
    ),
]
