"""The monitoring API: follow-up reviews, re-offending records and possible re-offending.

The same selectors, services and access rules as the pages: outside the user's scope the
answer is 404, a service's ValidationError is a 400 with its field errors, and every call
that shows a case's monitoring writes an access-log row. A re-offending record carries the
bundle's reoffending.csv columns (``occurred_on``, ``kind``, ``victim``, ``source``,
``offence``) and ``referral_ref``, the case's referral reference.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.staff import api_staff_member
from cases.apis import ERRORS, StaffRefOutput, _call, _choice, _valid
from cases.models import Offence
from cases.selectors import case_get_for_user
from followups import selectors, services
from followups.models import MonitoringBasis, ReoffendingKind, ReoffendingSource, ReoffendingVictim

# --- output ------------------------------------------------------------------------------------------------------


class ReviewAgencyOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReoffendingRecordOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    case_id = serializers.IntegerField()
    referral_ref = serializers.CharField(source="case.referral.ref")
    occurred_on = serializers.DateField()
    kind = serializers.CharField(help_text="persistence or recurrence")
    victim = serializers.CharField(help_text="same or new")
    source = serializers.CharField(help_text="victim, police, probation, health or other")  # type: ignore[assignment]
    offence = serializers.CharField(help_text="As in the bundle's referrals.csv")
    crime_reference = serializers.CharField()
    review_id = serializers.IntegerField(allow_null=True)
    candidate_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class ReviewOccurrenceOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    occurred_on = serializers.DateField()
    kind = serializers.CharField()
    victim = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    offence = serializers.CharField()
    crime_reference = serializers.CharField()


class FollowUpReviewOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    case_id = serializers.IntegerField()
    case_reference = serializers.CharField(source="case.reference")
    period_id = serializers.IntegerField()
    checkpoint_months = serializers.IntegerField()
    window_starts_on = serializers.DateField()
    due_on = serializers.DateField()
    status = serializers.CharField()
    assigned_agency = ReviewAgencyOutput(allow_null=True)
    assigned_worker = StaffRefOutput(allow_null=True)
    reoffended = serializers.BooleanField(allow_null=True)
    sources_checked = serializers.ListField(child=serializers.CharField())
    notes = serializers.CharField()
    occurrences = ReviewOccurrenceOutput(many=True, source="occurrences.all")
    completed_at = serializers.DateTimeField(allow_null=True)
    completed_by = StaffRefOutput(allow_null=True)
    withdrawn_reason = serializers.CharField()
    escalated_at = serializers.DateTimeField(allow_null=True)


class MonitoringPeriodOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="period.id")
    basis = serializers.ChoiceField(choices=MonitoringBasis.choices, source="period.basis")
    starts_on = serializers.DateField(source="period.starts_on")
    intervention_id = serializers.IntegerField(source="period.intervention_id", allow_null=True)
    ended_on = serializers.DateField(source="period.ended_on", allow_null=True)
    end_reason = serializers.CharField(source="period.end_reason")
    checkpoints = serializers.SerializerMethodField()

    def get_checkpoints(self, obj: selectors.PeriodView) -> list[dict[str, Any]]:
        return [
            {
                "months": c.months,
                "due_on": c.due_on.isoformat(),
                "state": c.state,
                "review_id": c.review.pk if c.review else None,
            }
            for c in obj.checkpoints
        ]


class CandidateNewCaseOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    received_on = serializers.DateField()


class ReoffendingCandidateOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    case_id = serializers.IntegerField()
    new_case = serializers.SerializerMethodField(
        help_text="The new referral's case; null when it is not shared with you (restricted, or another agency's)."
    )
    occurred_on = serializers.DateField()
    kind = serializers.CharField()
    victim = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    offence = serializers.CharField()
    last_known_behaviour_on = serializers.DateField()
    status = serializers.CharField()
    decided_by = StaffRefOutput(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()

    @extend_schema_field(CandidateNewCaseOutput(allow_null=True))
    def get_new_case(self, obj: Any) -> dict[str, Any] | None:
        if not obj.new_case_visible:
            return None
        return CandidateNewCaseOutput(obj.new_case).data


class MonitoringOutput(serializers.Serializer[Any]):
    case_id = serializers.IntegerField(source="case.pk")
    checkpoints = serializers.ListField(child=serializers.IntegerField())
    periods = MonitoringPeriodOutput(many=True)
    reoffending = ReoffendingRecordOutput(many=True, source="records")
    candidates = ReoffendingCandidateOutput(many=True)


class FollowUpReviewPageOutput(serializers.Serializer[Any]):
    results = FollowUpReviewOutput(many=True, source="reviews")
    next = serializers.CharField(allow_null=True, source="next_cursor")


# --- input ------------------------------------------------------------------------------------------------------


class ReoffendingOccurrenceInput(serializers.Serializer[Any]):
    occurred_on = serializers.DateField()
    kind = _choice("ReoffendingKind", ReoffendingKind.choices)
    victim = _choice("ReoffendingVictim", ReoffendingVictim.choices)
    source = _choice("ReoffendingSource", ReoffendingSource.choices)  # type: ignore[assignment]
    offence = _choice("Offence", Offence.choices)
    crime_reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


class FollowUpReviewCompleteInput(serializers.Serializer[Any]):
    reoffended = serializers.BooleanField()
    occurrences = ReoffendingOccurrenceInput(many=True, required=False, default=list)
    sources_checked = serializers.ListField(
        child=_choice("ReoffendingSource", ReoffendingSource.choices), required=False, default=list
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ReoffendingCandidateConfirmInput(serializers.Serializer[Any]):
    """Empty: confirm as suggested. Or give every field to correct the suggestion."""

    occurred_on = serializers.DateField(required=False)
    kind = _choice("ReoffendingKind", ReoffendingKind.choices, required=False)
    victim = _choice("ReoffendingVictim", ReoffendingVictim.choices, required=False)
    source = _choice("ReoffendingSource", ReoffendingSource.choices, required=False)  # type: ignore[assignment]
    offence = _choice("Offence", Offence.choices, required=False)
    crime_reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


class ReoffendingCandidateRejectInput(serializers.Serializer[Any]):
    reason = serializers.CharField()


class FollowUpReviewQuery(serializers.Serializer[Any]):
    due = serializers.ChoiceField(
        choices=[("", "any"), ("due", "due"), ("overdue", "overdue")], required=False, default="", allow_blank=True
    )
    mine = serializers.BooleanField(required=False, default=False)
    cursor = serializers.CharField(required=False, default="", allow_blank=True)
    page_size = serializers.IntegerField(required=False, default=25, min_value=1, max_value=100)


def _occurrence(values: dict[str, Any]) -> services.OccurrenceInput:
    return services.OccurrenceInput(
        occurred_on=values["occurred_on"],
        kind=values["kind"],
        victim=values["victim"],
        source=values["source"],
        offence=values["offence"],
        crime_reference=values.get("crime_reference", ""),
    )


# --- endpoints ----------------------------------------------------------------------------------------------------


class CaseMonitoringApi(APIView):
    @extend_schema(
        operation_id="case_monitoring",
        summary="The case's monitoring: periods and checkpoints, re-offending, possible re-offending",
        responses={200: MonitoringOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        view = selectors.monitoring_for_user(user=user, case_id=case_id)
        return Response(MonitoringOutput(view).data)


class CaseReviewsApi(APIView):
    @extend_schema(
        operation_id="case_followup_reviews",
        summary="The case's follow-up reviews, earliest due first",
        responses={200: FollowUpReviewOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        reviews = selectors.reviews_for_case(user=user, case_id=case_id)
        return Response(FollowUpReviewOutput(reviews, many=True).data)


class ReviewCompleteApi(APIView):
    @extend_schema(
        operation_id="followup_review_complete",
        summary="Complete a follow-up review",
        description=(
            "`reoffended: true` with one or more `occurrences` (each becomes a re-offending record), "
            "or `reoffended: false` with the `sources_checked`. Occurrence errors are keyed "
            "`occurrence_<n>_<field>`."
        ),
        request=FollowUpReviewCompleteInput,
        responses={200: FollowUpReviewOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int, review_id: int) -> Response:
        user = api_staff_member(request)
        review = selectors.review_get_for_user(user=user, case_id=case_id, review_id=review_id)
        values = _valid(FollowUpReviewCompleteInput, request.data)
        data = services.ReviewInput(
            reoffended=values["reoffended"],
            occurrences=[_occurrence(o) for o in values["occurrences"]],
            sources_checked=list(values["sources_checked"]),
            notes=values["notes"],
        )
        _call(services.followup_review_complete, actor=user, review=review, data=data)
        fresh = selectors.review_get_for_user(user=user, case_id=case_id, review_id=review_id)
        return Response(FollowUpReviewOutput(fresh).data)


class CaseReoffendingApi(APIView):
    @extend_schema(
        operation_id="case_reoffending_list",
        summary="Re-offending recorded on the case (the bundle's reoffending.csv rows)",
        responses={200: ReoffendingRecordOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        records = selectors.records_for_case(user=user, case_id=case_id)
        return Response(ReoffendingRecordOutput(records, many=True).data)

    @extend_schema(
        operation_id="case_reoffending_create",
        summary="Record re-offending learnt of between reviews",
        request=ReoffendingOccurrenceInput,
        responses={201: ReoffendingRecordOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = case_get_for_user(user=user, case_id=case_id)
        values = _valid(ReoffendingOccurrenceInput, request.data)
        record = _call(services.reoffending_record_add, actor=user, case=case, data=_occurrence(values))
        record.case = case
        return Response(ReoffendingRecordOutput(record).data, status=status.HTTP_201_CREATED)


class CaseCandidatesApi(APIView):
    @extend_schema(
        operation_id="case_reoffending_candidates",
        summary="Possible re-offending raised on the case by new referrals",
        responses={200: ReoffendingCandidateOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        candidates = selectors.candidates_for_case(user=user, case_id=case_id)
        return Response(ReoffendingCandidateOutput(candidates, many=True).data)


class CandidateConfirmApi(APIView):
    @extend_schema(
        operation_id="reoffending_candidate_confirm",
        summary="Confirm possible re-offending (the case's assigned worker or a triage officer)",
        request=ReoffendingCandidateConfirmInput,
        responses={201: ReoffendingRecordOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int, candidate_id: int) -> Response:
        user = api_staff_member(request)
        candidate = selectors.candidate_get_for_user(user=user, case_id=case_id, candidate_id=candidate_id)
        values = _valid(ReoffendingCandidateConfirmInput, request.data)
        corrected = {k: v for k, v in values.items() if k != "crime_reference"}
        data = None
        if corrected:
            missing = [f for f in ("occurred_on", "kind", "victim", "source", "offence") if f not in values]
            if missing:
                raise serializers.ValidationError({f: ["Give every field to correct the suggestion"] for f in missing})
            data = _occurrence(values)
        record = _call(services.reoffending_candidate_confirm, actor=user, candidate=candidate, data=data)
        record.case = candidate.case
        return Response(ReoffendingRecordOutput(record).data, status=status.HTTP_201_CREATED)


class CandidateRejectApi(APIView):
    @extend_schema(
        operation_id="reoffending_candidate_reject",
        summary="Reject possible re-offending, with the reason",
        request=ReoffendingCandidateRejectInput,
        responses={200: ReoffendingCandidateOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int, candidate_id: int) -> Response:
        user = api_staff_member(request)
        candidate = selectors.candidate_get_for_user(user=user, case_id=case_id, candidate_id=candidate_id)
        values = _valid(ReoffendingCandidateRejectInput, request.data)
        decided = _call(services.reoffending_candidate_reject, actor=user, candidate=candidate, reason=values["reason"])
        decided.new_case = candidate.new_case
        decided.new_case_visible = candidate.new_case_visible
        return Response(ReoffendingCandidateOutput(decided).data)


class OpenReviewsApi(APIView):
    @extend_schema(
        operation_id="followup_reviews_open",
        summary="Open follow-up reviews on the cases you can see, earliest due first",
        description="`due=due` (due today or earlier) or `due=overdue`; `mine=true` for reviews of the cases "
        "assigned to you. Pass the page's `next` as `cursor`.",
        parameters=[FollowUpReviewQuery],
        responses={200: FollowUpReviewPageOutput, 400: OpenApiResponse(description="Bad query")},
    )
    def get(self, request: Request) -> Response:
        user = api_staff_member(request)
        values = _valid(FollowUpReviewQuery, request.query_params)
        page = selectors.open_reviews_for_user(
            user=user, due=values["due"], mine=values["mine"], cursor=values["cursor"], page_size=values["page_size"]
        )
        return Response(FollowUpReviewPageOutput(page).data)


__all__ = [
    "CandidateConfirmApi",
    "CandidateRejectApi",
    "CaseCandidatesApi",
    "CaseMonitoringApi",
    "CaseReoffendingApi",
    "CaseReviewsApi",
    "OpenReviewsApi",
    "ReviewCompleteApi",
]
