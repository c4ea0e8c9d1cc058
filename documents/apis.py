"""The documents API under /api/v1/ (docs/documents.md). The same reads and services as the pages.

Uploads are ``multipart/form-data`` (``files`` repeated for several at once); a refusal is a
400 naming the fields, and nothing of the upload is kept. Downloads are attachments with
``nosniff``, logged one row each, like the page's.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import RecordClass
from agencies.staff import api_staff_member
from documents import selectors, services
from documents.models import Document, DocumentKind
from documents.views import attachment
from masip.api import call_service, validated


def document_json(document: Document) -> dict[str, Any]:
    return {
        "id": document.pk,
        "case": document.case_id,
        "person": document.person_id,
        "title": document.title,
        "kind": document.kind,
        "dated_on": document.dated_on,
        "record_classes": list(document.record_classes),
        "filename": document.filename,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "letter_template": document.letter_template or None,
        "agency": document.agency.name,
        "uploaded_at": document.uploaded_at,
    }


class UploadInput(serializers.Serializer[Any]):
    files = serializers.ListField(child=serializers.FileField(allow_empty_file=True), allow_empty=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    dated_on = serializers.DateField()
    record_class = serializers.ChoiceField(choices=RecordClass.choices, required=False, allow_blank=True, default="")
    person = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class CaseDocumentsApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(operation_id="documents_case_list", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, case_id: int) -> Response:
        page = selectors.documents_for_case(user=api_staff_member(request), case_id=case_id)
        return Response({"case": page.case.pk, "documents": [document_json(d) for d in page.documents]})

    @extend_schema(operation_id="documents_upload", request=UploadInput, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        # Scope before the body is read (404 outside it); the upload logs itself.
        selectors.upload_form_for_change(user=user, case_id=case_id)
        posted: Any = request.data
        fields = {k: posted.get(k) for k in ("title", "kind", "dated_on", "record_class", "person") if k in posted}
        data = validated(UploadInput, {**fields, "files": request.FILES.getlist("files")})
        stored = call_service(
            services.document_upload,
            actor=user,
            case_id=case_id,
            uploads=[services.Upload(file=f.file, name=f.name or "", size=f.size or 0) for f in data["files"]],
            title=data["title"],
            kind=data["kind"],
            dated_on=data["dated_on"],
            record_class=data["record_class"],
            person_id=data["person"],
        )
        shown = selectors.documents_after_upload(user=user, case_id=case_id, document_ids=[d.pk for d in stored])
        return Response({"documents": [document_json(d) for d in shown]}, status=201)


class DocumentApi(APIView):
    @extend_schema(operation_id="documents_detail", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, document_id: int) -> Response:
        return Response(document_json(selectors.document_read(user=api_staff_member(request), document_id=document_id)))


class DocumentDownloadApi(APIView):
    @extend_schema(operation_id="documents_download", responses={200: OpenApiTypes.BINARY})
    def get(self, request: Request, document_id: int) -> FileResponse:
        return attachment(selectors.document_for_download(user=api_staff_member(request), document_id=document_id))
