"""API routes of the documents app, under /api/v1/."""

from django.urls import path

from documents import apis

urlpatterns = [
    path("documents/cases/<int:case_id>/", apis.CaseDocumentsApi.as_view(), name="api-documents-case"),
    path("documents/<int:document_id>/", apis.DocumentApi.as_view(), name="api-documents-detail"),
    path("documents/<int:document_id>/download/", apis.DocumentDownloadApi.as_view(), name="api-documents-download"),
]
