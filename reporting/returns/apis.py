"""The returns and dashboard API: the same selectors, services and rules as the pages.

Only programme managers and partnership admins, and only their own partnership: anyone
else, and any record of another partnership, gets 404. Generating a return is queued
(202 with the return's status URL); a client polls the status and then downloads the
file, which is recorded in the access log as an export.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import User
from agencies.staff import api_staff_member
from reporting.models import GeneratedReturn, ReturnStatus
from reporting.returns import permissions, selectors, services, xlsx
from reporting.returns.measures import Quarter
from reporting.returns.views import return_file

NOT_FOUND = {404: OpenApiResponse(description="No such record, outside your partnership, or not a programme role")}


def _programme_user(request: Request) -> User:
    """A member of staff in a programme role; 404 for anyone else (the selectors ask again)."""
    user = api_staff_member(request)
    if not permissions.can_see_programme_data(user):
        raise Http404
    return user


class ReturnRequestInput(serializers.Serializer[Any]):
    quarter = serializers.CharField(help_text="The financial-year quarter, e.g. 2026-Q3 (October to December 2026)")
    definition_id = serializers.IntegerField(
        required=False, help_text="Which return; the partnership's Home Office return when left out"
    )
    suppress_small_numbers = serializers.BooleanField(default=False)

    def validate_quarter(self, value: str) -> Quarter:
        quarter = Quarter.parse(value)
        if quarter is None:
            raise serializers.ValidationError("Give the quarter as YYYY-Qn, e.g. 2026-Q3")
        return quarter


class RowOutput(serializers.Serializer[Any]):
    label = serializers.CharField()  # type: ignore[assignment]  # a field named as DRF's own attribute
    value = serializers.JSONField(help_text='A count, or "<5" when small numbers are hidden')


class IndicatorOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    description = serializers.CharField()
    breakdown = serializers.CharField()
    total = serializers.JSONField()
    rows = RowOutput(many=True)


class SectionOutput(serializers.Serializer[Any]):
    title = serializers.CharField()
    indicators = IndicatorOutput(many=True)


class ReturnOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    quarter = serializers.CharField()
    quarter_label = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    definition_id = serializers.IntegerField()
    definition = serializers.CharField()
    definition_version = serializers.IntegerField()
    suppress_small_numbers = serializers.BooleanField()
    status = serializers.ChoiceField(choices=ReturnStatus.choices)
    progress_percent = serializers.IntegerField()
    indicators_done = serializers.IntegerField()
    indicators_total = serializers.IntegerField()
    requested_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    status_url = serializers.CharField()
    download_urls = serializers.DictField(child=serializers.CharField(), help_text="xlsx and csv, once done")
    sections = SectionOutput(many=True, help_text="The figures, once done")


def return_data(generated: GeneratedReturn, *, with_figures: bool = True) -> dict[str, Any]:
    done = generated.status == ReturnStatus.DONE
    sections = (
        xlsx.present(generated.results, suppress=generated.suppress_small_numbers) if done and with_figures else []
    )
    return {
        "id": generated.pk,
        "quarter": Quarter(generated.year, generated.quarter).key,
        "quarter_label": generated.quarter_label,
        "period_start": generated.period_start,
        "period_end": generated.period_end,
        "definition_id": generated.version.definition_id,
        "definition": generated.version.definition.name,
        "definition_version": generated.version.number,
        "suppress_small_numbers": generated.suppress_small_numbers,
        "status": generated.status,
        "progress_percent": generated.progress_percent,
        "indicators_done": generated.indicators_done,
        "indicators_total": generated.indicators_total,
        "requested_at": generated.requested_at,
        "finished_at": generated.finished_at,
        "status_url": reverse("api-reporting-return-detail", args=[generated.pk]),
        "download_urls": {
            fmt: reverse("api-reporting-return-download", args=[generated.pk, fmt]) for fmt in ("xlsx", "csv")
        }
        if done
        else {},
        "sections": [
            {
                "title": s.title,
                "indicators": [
                    {
                        "key": i.key,
                        "label": i.label,
                        "description": i.description,
                        "breakdown": i.breakdown_label,
                        "total": i.total.shown,
                        "rows": [{"label": c.label, "value": c.shown} for c in i.rows],
                    }
                    for i in s.indicators
                ],
            }
            for s in sections
        ],
    }


class ReturnListApi(APIView):
    @extend_schema(
        operation_id="reporting_returns_generate",
        request=ReturnRequestInput,
        responses={202: ReturnOutput, 400: OpenApiResponse(description="Field errors"), **NOT_FOUND},
        summary="Generate a quarterly return (queued)",
    )
    def post(self, request: Request) -> Response:
        user = _programme_user(request)
        data = ReturnRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        if "definition_id" in data.validated_data:
            definition = selectors.definition_get_for_user(
                user=user, definition_id=data.validated_data["definition_id"]
            )
        else:
            assert user.agency is not None
            definition = services.definition_ensure_default(partnership=user.agency.partnership, actor=user)
        try:
            generated = services.return_request(
                actor=user,
                definition=definition,
                quarter=data.validated_data["quarter"],
                suppress_small_numbers=data.validated_data["suppress_small_numbers"],
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        generated = selectors.return_get_for_user(user=user, return_id=generated.pk)
        return Response(ReturnOutput(return_data(generated)).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        operation_id="reporting_returns_list",
        responses={200: ReturnOutput(many=True), **NOT_FOUND},
        summary="The partnership's recently generated returns (without their figures)",
    )
    def get(self, request: Request) -> Response:
        user = _programme_user(request)
        # The list leaves the figures out (fetch one return for them): a fixed number of queries.
        items = [return_data(g, with_figures=False) for g in selectors.returns_for_user(user=user)]
        return Response(ReturnOutput(items, many=True).data)


class ReturnDetailApi(APIView):
    @extend_schema(
        operation_id="reporting_returns_status",
        responses={200: ReturnOutput, **NOT_FOUND},
        summary="A return's status and progress, and its figures once done",
    )
    def get(self, request: Request, return_id: int) -> Response:
        user = _programme_user(request)
        generated = selectors.return_detail_for_user(user=user, return_id=return_id)
        return Response(ReturnOutput(return_data(generated)).data)


class ReturnDownloadApi(APIView):
    @extend_schema(
        operation_id="reporting_returns_download",
        parameters=[OpenApiParameter("file_format", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["xlsx", "csv"])],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **NOT_FOUND},
        summary="Download a generated return as XLSX or CSV (recorded as an export)",
    )
    def get(self, request: Request, return_id: int, file_format: str) -> HttpResponse:
        user = _programme_user(request)
        generated = selectors.return_get_for_user(user=user, return_id=return_id)
        return return_file(user=user, generated=generated, file_format=file_format)


class SeriesOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    data = serializers.ListField(child=serializers.IntegerField())  # type: ignore[assignment]
    links = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        help_text="Per figure, the page listing the cases behind it (empty where the figure is 0)",
    )


class ChartOutput(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()
    stacked = serializers.BooleanField()
    unit = serializers.CharField(help_text="What every figure of the chart counts: cases, contacts, sessions, reviews")
    labels = serializers.ListField(child=serializers.CharField())
    series = SeriesOutput(many=True)


class FollowupsOutput(serializers.Serializer[Any]):
    overdue = serializers.IntegerField()
    due_within_30_days = serializers.IntegerField()


class PeriodOutput(serializers.Serializer[Any]):
    start = serializers.DateField()
    end = serializers.DateField()


class DashboardOutput(serializers.Serializer[Any]):
    as_of = serializers.DateField()
    period = PeriodOutput()
    open_cases = serializers.IntegerField()
    followups = FollowupsOutput()
    charts = ChartOutput(many=True)


class DashboardApi(APIView):
    @extend_schema(
        operation_id="reporting_dashboard",
        responses={200: DashboardOutput, **NOT_FOUND},
        summary="The programme dashboard's figures: caseload now, flows by month, follow-ups due",
    )
    def get(self, request: Request) -> Response:
        board = selectors.dashboard_for_user(user=_programme_user(request))
        return Response(DashboardOutput(board.as_data()).data)
