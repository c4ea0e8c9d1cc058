"""The data-protection API under /api/v1/privacy/ (docs/data-protection.md): the same reads and
services as the pages, a partnership admin's only (404 to anyone else)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.staff import api_staff_member
from masip.api import call_service, validated
from privacy import selectors, services
from privacy.models import RetentionBatch, SubjectAccessRequest


def request_json(sar: SubjectAccessRequest) -> dict[str, Any]:
    # Ids and dates only: the person's name is on the disclosure, which is logged.
    return {
        "id": sar.pk,
        "person": sar.person_id,
        "received_on": sar.received_on,
        "due_on": sar.due_on,
        "identity_checked": sar.identity_checked,
        "status": sar.status,
        "overdue": bool(getattr(sar, "is_overdue", False)),
    }


def batch_json(batch: RetentionBatch) -> dict[str, Any]:
    return {"id": batch.pk, "listed_on": batch.listed_on, "status": batch.status, "items": batch.item_count}


class RequestInput(serializers.Serializer[Any]):
    person = serializers.IntegerField(min_value=1)
    received_on = serializers.DateField()
    identity_checked = serializers.BooleanField()


class RequestsApi(APIView):
    @extend_schema(operation_id="privacy_requests", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        found = selectors.requests_for_admin(actor=api_staff_member(request))
        return Response({"results": [request_json(s) for s in found]})

    @extend_schema(operation_id="privacy_request_open", request=RequestInput, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        user = api_staff_member(request)
        data = validated(RequestInput, request.data)
        sar = call_service(
            services.sar_open,
            actor=user,
            person_id=data["person"],
            received_on=data["received_on"],
            identity_checked=data["identity_checked"],
        )
        return Response(request_json(sar), status=201)


class DisclosureApi(APIView):
    @extend_schema(operation_id="privacy_request_disclosure", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, sar_id: int) -> HttpResponse:
        user = api_staff_member(request)
        with transaction.atomic():
            sar, body = selectors.disclosure_file(actor=user, sar_id=sar_id, output="json")
            services.sar_mark_disclosed(actor=user, sar_id=sar.pk, output="JSON")
        return HttpResponse(body, content_type="application/json")


class BatchesApi(APIView):
    @extend_schema(operation_id="privacy_retention_batches", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response(
            {"results": [batch_json(b) for b in selectors.batches_for_admin(actor=api_staff_member(request))]}
        )


class BatchApproveApi(APIView):
    @extend_schema(operation_id="privacy_retention_batch_approve", request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request, batch_id: int) -> Response:
        batch = call_service(services.retention_batch_approve, actor=api_staff_member(request), batch_id=batch_id)
        return Response(batch_json(batch))
