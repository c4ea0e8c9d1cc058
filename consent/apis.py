"""The consent API under /api/v1/consent/ (docs/consent.md): the same reads and services as the pages."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.staff import api_staff_member
from consent import selectors, services
from consent.models import Consent, Method, Purpose
from masip.api import call_service, validated


def consent_json(record: Consent) -> dict[str, Any]:
    return {
        "id": record.pk,
        "person": record.person_id,
        "case": record.case_id,
        "purpose": record.purpose,
        "given": record.given,
        "given_on": record.given_on,
        "method": record.method,
        "note": record.note,
        "agency": record.agency.name,
        "withdrawn_on": record.withdrawn_on,
        "withdrawal_method": record.withdrawal_method or None,
        "in_force": record.in_force,
    }


def page_json(page: selectors.ConsentPage) -> dict[str, Any]:
    return {
        "case": page.case.pk,
        "victims": [
            {
                "person": v.person_id,
                "current": {p: (consent_json(r) if r else None) for p, _, r in v.at_a_glance},
                "records": [consent_json(r) for r in v.records],
            }
            for v in page.victims
        ],
    }


class ConsentInput(serializers.Serializer[Any]):
    person = serializers.IntegerField(min_value=1)
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    given = serializers.BooleanField()
    given_on = serializers.DateField()
    method = serializers.ChoiceField(choices=Method.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class WithdrawInput(serializers.Serializer[Any]):
    withdrawn_on = serializers.DateField()
    method = serializers.ChoiceField(choices=Method.choices)


class CaseConsentApi(APIView):
    @extend_schema(operation_id="consent_case", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, case_id: int) -> Response:
        return Response(page_json(selectors.consent_for_case(user=api_staff_member(request), case_id=case_id)))

    @extend_schema(operation_id="consent_record", request=ConsentInput, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        # Scope before the body is read (404 outside it); the service logs what it records.
        selectors.consent_page_for_change(user=user, case_id=case_id)
        data = validated(ConsentInput, request.data)
        record = call_service(
            services.consent_record,
            actor=user,
            case_id=case_id,
            person_id=data["person"],
            purpose=data["purpose"],
            given=data["given"],
            given_on=data["given_on"],
            method=data["method"],
            note=data["note"],
        )
        return Response(consent_json(record), status=201)


class ConsentWithdrawApi(APIView):
    @extend_schema(operation_id="consent_withdraw", request=WithdrawInput, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request, consent_id: int) -> Response:
        user = api_staff_member(request)
        data = validated(WithdrawInput, request.data)
        record = call_service(
            services.consent_withdraw,
            actor=user,
            consent_id=consent_id,
            withdrawn_on=data["withdrawn_on"],
            method=data["method"],
        )
        return Response(consent_json(record))
