"""``GET /api/v1/partnerships/{slug}/evaluation/?as_of=…&from=…&to=…``: the evaluation tables.

The same JSON as ``manage.py evaluation_tables`` (../shared/specs/evaluation-tables.md),
from the same function. Only the caller's own partnership, and only for the roles that see
programme data (programme managers, partnership admins): anything else is 404, so the
answer never confirms that another partnership exists.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.permissions import can_see_programme_data
from agencies.staff import api_staff_member
from reporting import evaluation as ev
from reporting import reads

_DATE = "A date, YYYY-MM-DD"


class EvaluationApi(APIView):
    @extend_schema(
        operation_id="partnership_evaluation_tables",
        summary="The partnership's evaluation tables",
        description="Every figure of the MASIP evaluation tables (referrals, decisions, re-offending by time, "
        "interventions and stalker types by re-offending with chi-square tests, genders, ages, SASH and tiers) "
        "and the effect tables (re-offending after treatment, recurrence, change in risk and in the victims' "
        "outcomes, factors by re-offending), "
        "computed from the partnership's own data; how each is worked out: docs/evaluation-tables.md. "
        "404 for another partnership or a role that does not see programme data.",
        parameters=[
            OpenApiParameter(
                "as_of", OpenApiTypes.DATE, description=f"{_DATE}; thresholds are measured to it (default today)"
            ),
            OpenApiParameter("from", OpenApiTypes.DATE, description=f"{_DATE}; referrals received on or after it"),
            OpenApiParameter("to", OpenApiTypes.DATE, description=f"{_DATE}; referrals received on or before it"),
            OpenApiParameter(
                "start",
                OpenApiTypes.STR,
                enum=list(ev.STARTS),
                description="Where monitoring starts: the decision (default) or the referral's received date",
            ),
        ],
        responses={
            200: OpenApiTypes.OBJECT,
            400: OpenApiResponse(description="A date that is not YYYY-MM-DD, to before from, or an unknown start"),
            404: None,
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        user = api_staff_member(request)
        if not can_see_programme_data(user) or user.agency is None or user.agency.partnership.slug != slug:
            raise NotFound
        try:
            period = ev.parse_period(
                as_of=request.query_params.get("as_of"),
                date_from=request.query_params.get("from"),
                date_to=request.query_params.get("to"),
                today=timezone.localdate(),
                start=request.query_params.get("start"),
            )
        except ev.EvaluationError as exc:
            raise serializers.ValidationError({exc.field: [exc.message]}) from None
        read = reads.evaluation_for_user(user=user, period=period, what="evaluation tables API", partnership_slug=slug)
        return Response(read.tables)
