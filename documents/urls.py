"""Pages of the documents app, mounted at /documents/ by masip/urls.py."""

from django.urls import path

from documents import views

app_name = "documents"
urlpatterns = [
    path("cases/<int:case_id>/", views.case_documents, name="case_documents"),
    path("cases/<int:case_id>/upload/", views.document_upload, name="upload"),
    path("cases/<int:case_id>/letters/new/", views.letter_create, name="letter_create"),
    path("people/<int:person_id>/", views.person_documents, name="person_documents"),
    path("<int:document_id>/download/", views.document_download, name="download"),
]
