"""The interventions API: the same selectors, services and access rules as the pages.

Outside the user's scope the selectors raise Http404 and the answer is 404. A
service's ValidationError becomes a 400 with its ``{field: [messages]}``. Clinical
notes (class ``clinical``) have one endpoint of their own, which answers 404 to every
agency the sharing agreement withholds them from; no other answer carries them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import User
from agencies.staff import api_staff_member
from cases.apis import AgencyRefOutput, StaffRefOutput
from cases.selectors import case_get_for_user
from interventions import permissions, rules, selectors, services
from interventions.models import (
    DEFAULT_PLANNED_SESSIONS,
    MAX_PLANNED_SESSIONS,
    Attendance,
    CriminogenicNeed,
    Ending,
    Frequency,
    Intervention,
    InterventionStatus,
    InterventionType,
    Method,
    Modality,
    NotHappenedReason,
    PlanStatus,
    Rating,
    ReferralStatus,
)
from masip.api import IF_MATCH, PRECONDITION_FAILED, etag, if_match, with_etag
from masip.api import call_service as _call
from masip.api import validated as _valid
from masip.times import TIME_HINT, parse_time

ERRORS = {
    400: OpenApiResponse(description="Field errors: `{field: [message, ...]}`"),
    404: OpenApiResponse(description="No such record, or outside your scope"),
}


# Each choice set is its own named schema component (several share a field name).
_CHOICE_FIELDS: dict[str, type[serializers.ChoiceField]] = {}


def _choice(name: str, choices: Iterable[tuple[str, str]], **kwargs: Any) -> serializers.ChoiceField:
    pairs = [(str(value), str(label)) for value, label in choices]
    blank = bool(kwargs.get("allow_blank"))
    component = f"{name}OrBlank" if blank else name
    field_class = _CHOICE_FIELDS.get(component)
    if field_class is None:
        schema = {
            "type": "string",
            "enum": [value for value, _ in pairs] + ([""] if blank else []),
            "description": "\n".join(f"* `{value}` - {label}" for value, label in pairs),
        }
        field_class = extend_schema_field(schema, component_name=component)(
            type(f"{component}Field", (serializers.ChoiceField,), {})
        )
        _CHOICE_FIELDS[component] = field_class
    return field_class(choices=pairs, **kwargs)


def _text(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, default="", **kwargs)


# --- output ----------------------------------------------------------------------------------------------


class InterventionOutput(serializers.Serializer[Any]):
    """selectors.InterventionRow: ``details`` is null when its record class is withheld from you."""

    id = serializers.IntegerField(source="intervention.pk")
    case_id = serializers.IntegerField(source="intervention.case_id")
    type = _choice("InterventionType", InterventionType.choices, source="intervention.type")
    type_label = serializers.CharField(source="intervention.get_type_display")
    agency = AgencyRefOutput(source="intervention.agency")
    status = _choice("InterventionStatus", InterventionStatus.choices, source="intervention.status")
    status_label = serializers.CharField(source="intervention.get_status_display")
    started_on = serializers.DateField(source="intervention.started_on", allow_null=True)
    ended_on = serializers.DateField(source="intervention.ended_on", allow_null=True)
    ending = _choice("InterventionEnding", Ending.choices, source="intervention.ending", allow_blank=True)
    ended_by_agreement = serializers.BooleanField(source="intervention.ended_by_agreement")
    ending_reason = serializers.CharField(source="intervention.ending_reason")
    sessions_planned = serializers.IntegerField(source="intervention.sessions_planned", allow_null=True)
    sessions_attended = serializers.IntegerField(source="intervention.sessions_attended", allow_null=True)
    details = serializers.CharField(allow_null=True)
    details_withheld = serializers.BooleanField()
    can_deliver = serializers.BooleanField()
    created_at = serializers.DateTimeField(source="intervention.created_at")


class InterventionReferralOutput(serializers.Serializer[Any]):
    """selectors.ReferralView: ``risk_information`` (class criminal_history) is null when withheld."""

    id = serializers.IntegerField(source="referral.pk")
    case_id = serializers.IntegerField(source="referral.case_id")
    status = _choice("InterventionReferralStatus", ReferralStatus.choices, source="referral.status")
    status_label = serializers.CharField(source="referral.get_status_display")
    referred_on = serializers.DateField(source="referral.referred_on")
    referred_by = StaffRefOutput(source="referral.referred_by")
    referring_agency = AgencyRefOutput(source="referral.referring_agency")
    health_agency = AgencyRefOutput(source="referral.health_agency")
    probation_practitioner = StaffRefOutput(source="referral.probation_practitioner", allow_null=True)
    risk_information = serializers.CharField(allow_null=True)
    desired_outcomes = serializers.ListField(child=serializers.CharField(), source="referral.desired_outcomes")
    accessibility_needs = serializers.CharField(source="referral.accessibility_needs")
    interpreter_required = serializers.BooleanField(source="referral.interpreter_required")
    interpreter_language = serializers.CharField(source="referral.interpreter_language")
    additional_information = serializers.CharField(source="referral.additional_information")
    decided_by = StaffRefOutput(source="referral.decided_by", allow_null=True)
    decided_on = serializers.DateField(source="referral.decided_on", allow_null=True)
    decision_reason = serializers.CharField(source="referral.decision_reason")
    intervention_id = serializers.IntegerField(source="referral.intervention_id", allow_null=True)
    can_decide = serializers.BooleanField()
    can_withdraw = serializers.BooleanField()


class TherapyPlanOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = _choice("TherapyPlanStatus", PlanStatus.choices)
    modalities = serializers.ListField(child=_choice("Modality", Modality.choices))
    other_modality = serializers.CharField()
    planned_sessions = serializers.IntegerField()
    frequency = _choice("Frequency", Frequency.choices)
    desired_outcomes = serializers.ListField(child=serializers.CharField())
    criminogenic_needs = serializers.ListField(child=_choice("CriminogenicNeed", CriminogenicNeed.choices))
    review_on = serializers.DateField(allow_null=True)
    change_reason = serializers.CharField()
    created_by = StaffRefOutput()
    created_at = serializers.DateTimeField()
    approved_by = StaffRefOutput(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    etag = serializers.SerializerMethodField(
        help_text="This plan row's version: send the latest plan's as `If-Match` when you save the plan"
    )

    def get_etag(self, obj: Any) -> str:
        return etag(services.therapy_plan_version(obj))


class TherapyPlanReviewOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    plan_id = serializers.IntegerField()
    reviewed_on = serializers.DateField()
    reviewed_by = StaffRefOutput()
    summary = serializers.CharField()
    next_review_on = serializers.DateField(allow_null=True)


class SessionConcernOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    appointment_id = serializers.IntegerField()
    session_number = serializers.IntegerField(source="appointment.session.number")
    description = serializers.CharField()
    raised_by = StaffRefOutput()
    recipient = StaffRefOutput(allow_null=True)
    created_at = serializers.DateTimeField()
    emailed_at = serializers.DateTimeField(
        source="notification.emailed_at", allow_null=True, help_text="When its alert was e-mailed to the recipient"
    )
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = StaffRefOutput(allow_null=True)
    victim_at_risk = serializers.BooleanField(help_text="The victim's advocate was told as well")
    action_taken = serializers.CharField(help_text="What was done about it, recorded on acknowledging")


class SessionAppointmentOutput(serializers.Serializer[Any]):
    """An appointment and its feedback. Clinical notes are never part of it: see /clinical-notes/."""

    id = serializers.IntegerField()
    session_number = serializers.IntegerField(source="session.number")
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    method = _choice("SessionMethod", Method.choices)
    replaces_id = serializers.IntegerField(allow_null=True)
    rescheduled_at = serializers.DateTimeField(allow_null=True)
    reschedule_reason = serializers.CharField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancel_reason = serializers.CharField()
    feedback_at = serializers.DateTimeField(allow_null=True)
    attendance = _choice("Attendance", Attendance.choices, allow_blank=True)
    happened = serializers.BooleanField(allow_null=True)
    not_happened_reason = _choice("NotHappenedReason", NotHappenedReason.choices, allow_blank=True)
    summary = serializers.CharField()
    concerns_raised = serializers.BooleanField()


class SessionAppointmentViewOutput(serializers.Serializer[Any]):
    appointment = SessionAppointmentOutput()
    tag = _choice("SessionTag", rules.SessionTag.choices)
    concern = SessionConcernOutput(allow_null=True)


class TherapySessionOutput(serializers.Serializer[Any]):
    number = serializers.IntegerField(source="session.number")
    tag = _choice("SessionTag", rules.SessionTag.choices)
    tag_label = serializers.CharField(source="tag.label")
    appointments = SessionAppointmentViewOutput(many=True)


class OutcomeRatingOutput(serializers.Serializer[Any]):
    outcome = serializers.CharField()
    rating = _choice("OutcomeRating", Rating.choices)
    comments = serializers.CharField()


class EndOfServiceReportOutput(serializers.Serializer[Any]):
    written_at = serializers.DateTimeField(source="report.written_at")
    written_by = StaffRefOutput(source="report.written_by")
    summary = serializers.CharField(source="report.summary")
    ratings = OutcomeRatingOutput(many=True)


class InterventionProgressOutput(serializers.Serializer[Any]):
    """selectors.DirectInterventionDetail, without clinical notes."""

    referral = InterventionReferralOutput(allow_null=True)
    plan = TherapyPlanOutput(allow_null=True)
    draft = TherapyPlanOutput(allow_null=True)
    plans = TherapyPlanOutput(many=True)
    reviews = TherapyPlanReviewOutput(many=True)
    sessions = TherapySessionOutput(many=True)
    concerns = SessionConcernOutput(many=True)
    delivered = serializers.IntegerField()
    planned = serializers.IntegerField()
    tag_counts = serializers.DictField(child=serializers.IntegerField())
    allowed_endings = serializers.ListField(child=_choice("InterventionEnding", Ending.choices))
    report = serializers.SerializerMethodField()

    @extend_schema_field(EndOfServiceReportOutput(allow_null=True))
    def get_report(self, obj: selectors.DirectInterventionDetail) -> Any:
        if obj.report is None:
            return None
        return EndOfServiceReportOutput({"report": obj.report, "ratings": obj.ratings}).data


class InterventionDetailOutput(InterventionOutput):
    progress = serializers.SerializerMethodField(help_text="Direct interventions only; null for other types")

    @extend_schema_field(InterventionProgressOutput(allow_null=True))
    def get_progress(self, obj: selectors.InterventionRow) -> Any:
        detail = self.context.get("progress")
        return InterventionProgressOutput(detail).data if detail is not None else None


class CaseInterventionsOutput(serializers.Serializer[Any]):
    case_id = serializers.IntegerField(source="case.pk")
    referrals = InterventionReferralOutput(many=True)
    interventions = InterventionOutput(many=True)
    open_concerns = SessionConcernOutput(many=True)
    can_refer = serializers.BooleanField()
    recordable_types = serializers.ListField(child=_choice("InterventionType", InterventionType.choices))


class ClinicalNoteOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    appointment_id = serializers.IntegerField(allow_null=True)
    session_number = serializers.SerializerMethodField()
    author = StaffRefOutput()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_session_number(self, obj: Any) -> int | None:
        return obj.appointment.session.number if obj.appointment_id else None


class InterventionsInboxOutput(serializers.Serializer[Any]):
    class InboxReferralRef(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        case_id = serializers.IntegerField()
        case_reference = serializers.CharField(source="case.reference")
        referred_on = serializers.DateField()
        status = _choice("InterventionReferralStatus", ReferralStatus.choices)
        intervention_id = serializers.IntegerField(allow_null=True)

    class InboxAppointmentRef(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        intervention_id = serializers.IntegerField(source="session.intervention_id")
        case_id = serializers.IntegerField(source="session.intervention.case_id")
        case_reference = serializers.CharField(source="session.intervention.case.reference")
        session_number = serializers.IntegerField(source="session.number")
        starts_at = serializers.DateTimeField()
        method = _choice("SessionMethod", Method.choices)

    referrals_to_decide = InboxReferralRef(many=True)
    feedback_due = InboxAppointmentRef(many=True)
    upcoming = InboxAppointmentRef(many=True)
    concerns_for_me = SessionConcernOutput(many=True)
    my_referrals = InboxReferralRef(many=True)


# --- input ----------------------------------------------------------------------------------------------


class InterventionReferralInput(serializers.Serializer[Any]):
    health_agency = serializers.IntegerField()
    probation_practitioner = serializers.IntegerField(required=False, allow_null=True, default=None)
    risk_information = serializers.CharField()
    desired_outcomes = serializers.ListField(child=serializers.CharField(max_length=300), min_length=1)
    accessibility_needs = _text()
    interpreter_required = serializers.BooleanField(required=False, default=False)
    interpreter_language = _text(max_length=100)
    additional_information = _text()
    referred_on = serializers.DateField(required=False, allow_null=True, default=None)


class InterventionReasonInput(serializers.Serializer[Any]):
    reason = serializers.CharField()


class InterventionReferralDecisionInput(serializers.Serializer[Any]):
    on = serializers.DateField(required=False, allow_null=True, default=None, help_text="Default: today")


class InterventionRecordInput(serializers.Serializer[Any]):
    type = _choice("InterventionType", InterventionType.choices)
    started_on = serializers.DateField(required=False, allow_null=True, default=None)
    details = _text()


class InterventionStartInput(serializers.Serializer[Any]):
    started_on = serializers.DateField(required=False, allow_null=True, default=None)


class OutcomeRatingInput(serializers.Serializer[Any]):
    rating = _choice("OutcomeRating", Rating.choices)
    comments = _text()


class InterventionEndInput(serializers.Serializer[Any]):
    ending = _choice("InterventionEnding", Ending.choices)
    ended_on = serializers.DateField(required=False, allow_null=True, default=None)
    by_agreement = serializers.BooleanField(required=False, default=False)
    reason = _text()
    report_summary = _text()
    ratings = OutcomeRatingInput(many=True, required=False, default=list)


class TherapyPlanInput(serializers.Serializer[Any]):
    modalities = serializers.ListField(child=_choice("Modality", Modality.choices))
    other_modality = _text(max_length=200)
    planned_sessions = serializers.IntegerField(default=DEFAULT_PLANNED_SESSIONS)
    frequency = _choice("Frequency", Frequency.choices)
    desired_outcomes = serializers.ListField(child=serializers.CharField(max_length=300))
    criminogenic_needs = serializers.ListField(
        child=_choice("CriminogenicNeed", CriminogenicNeed.choices), required=False, default=list
    )
    review_on = serializers.DateField(required=False, allow_null=True, default=None)
    change_reason = _text(help_text="Required when an approved plan exists")
    approve = serializers.BooleanField(required=False, default=False, help_text="Approve at once")


class TherapyPlanReviewInput(serializers.Serializer[Any]):
    summary = serializers.CharField()
    next_review_on = serializers.DateField(required=False, allow_null=True, default=None)
    reviewed_on = serializers.DateField(required=False, allow_null=True, default=None)


class SessionAppointmentInput(serializers.Serializer[Any]):
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(default=60)
    method = _choice("SessionMethod", Method.choices)


class SessionRescheduleInput(SessionAppointmentInput):
    reason = serializers.CharField()


class AppointmentCancelInput(serializers.Serializer[Any]):
    reason = serializers.CharField()


class CourseInput(serializers.Serializer[Any]):
    first_date = serializers.DateField()
    start_time = serializers.CharField(max_length=10, help_text=f"As people type it. {TIME_HINT}")
    frequency = _choice("Frequency", Frequency.choices)
    sessions = serializers.IntegerField(help_text="How many sessions to book, from the first not yet booked")
    skip_dates = serializers.ListField(
        child=serializers.DateField(),
        required=False,
        default=list,
        help_text="Dates passed over; the course runs one interval longer for each",
    )
    duration_minutes = serializers.IntegerField(default=60)
    method = _choice("SessionMethod", Method.choices)
    preview = serializers.BooleanField(
        required=False, default=False, help_text="Check and list the sessions without booking them"
    )

    def validate_start_time(self, value: str) -> dt.time:
        try:
            return parse_time(value, label="start time")
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class CourseSlotOutput(serializers.Serializer[Any]):
    session_number = serializers.IntegerField(source="number")
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    method = _choice("SessionMethod", Method.choices)


class CoursePreviewOutput(serializers.Serializer[Any]):
    sessions = CourseSlotOutput(many=True)


class CourseBookedOutput(serializers.Serializer[Any]):
    appointments = SessionAppointmentOutput(many=True)


class SessionFeedbackInput(serializers.Serializer[Any]):
    attendance = _choice("Attendance", Attendance.choices)
    happened = serializers.BooleanField()
    not_happened_reason = _choice(
        "NotHappenedReason", NotHappenedReason.choices, required=False, allow_blank=True, default=""
    )
    summary = _text(help_text="Shared with probation and every agency on the case")
    concerns_raised = serializers.BooleanField(required=False, default=False)
    concern_description = _text()
    concern_victim_at_risk = serializers.BooleanField(
        required=False, default=False, help_text="The concern may put the victim at risk: her advocate is told too"
    )
    clinical_notes = _text(help_text="Class clinical; write-only here, read from /clinical-notes/")


class ClinicalNoteInput(serializers.Serializer[Any]):
    text = serializers.CharField()
    appointment_id = serializers.IntegerField(required=False, allow_null=True, default=None)


# --- views ------------------------------------------------------------------------------------------------


def _intervention_detail_response(detail: selectors.InterventionDetail, *, code: int = 200) -> Response:
    return Response(InterventionDetailOutput(detail.row, context={"progress": detail.progress}).data, status=code)


def _written_intervention_response(user: User, intervention_id: int, *, code: int = 200) -> Response:
    """After a write: the service logged the change; the answer is the intervention as it now is."""
    intervention = selectors.intervention_get_for_user(user=user, intervention_id=intervention_id)
    return _intervention_detail_response(
        selectors.intervention_detail_after_write(user=user, intervention=intervention), code=code
    )


def _written_referral_response(user: User, referral_id: int, *, code: int = 200) -> Response:
    """After a write: the service logged the change; the answer is the referral as it now is."""
    referral = selectors.referral_get_for_user(user=user, referral_id=referral_id)
    return Response(InterventionReferralOutput(selectors.referral_view(user, referral)).data, status=code)


class InboxApi(APIView):
    @extend_schema(
        operation_id="interventions_inbox",
        summary="What is waiting for you",
        description=(
            "Health clinicians: referrals to decide, sessions needing feedback, sessions in the next two weeks. "
            "Probation and police: concerns raised for you, and your referrals."
        ),
        responses={200: InterventionsInboxOutput},
    )
    def get(self, request: Request) -> Response:
        box = selectors.interventions_inbox_for_user(user=api_staff_member(request))
        return Response(InterventionsInboxOutput(box).data)


class CaseInterventionsApi(APIView):
    @extend_schema(
        operation_id="case_interventions_list",
        summary="A case's interventions and referrals for direct intervention",
        responses={200: CaseInterventionsOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        data = selectors.case_interventions_for_user(user=api_staff_member(request), case_id=case_id)
        return Response(CaseInterventionsOutput(data).data)

    @extend_schema(
        operation_id="case_intervention_record",
        summary="Record an intervention of a type other than direct intervention",
        description=(
            "Delivered by your own agency: health records risk assessments, signposting and consultation; "
            "advocacy and police the victim-side types. A direct intervention starts with a referral."
        ),
        request=InterventionRecordInput,
        responses={201: InterventionOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = case_get_for_user(user=user, case_id=case_id)
        values = _valid(InterventionRecordInput, request.data)
        intervention = _call(
            services.intervention_record,
            actor=user,
            case=case,
            intervention_type=values["type"],
            started_on=values["started_on"],
            details=values["details"],
        )
        return Response(InterventionOutput(selectors.intervention_row(user, intervention)).data, status=201)


class CaseReferralsApi(APIView):
    @extend_schema(
        operation_id="case_intervention_referral_create",
        summary="Refer the perpetrator for direct intervention (probation, police)",
        description=(
            "To a health agency the case is shared with. `probation_practitioner` is told of concerns raised at "
            "sessions; empty, the referrer is (a probation practitioner referring names themselves)."
        ),
        request=InterventionReferralInput,
        responses={201: InterventionReferralOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = case_get_for_user(user=user, case_id=case_id)
        values = _valid(InterventionReferralInput, request.data)
        referral = _call(
            services.referral_submit,
            actor=user,
            case=case,
            data=services.ReferralInput(
                health_agency_id=values["health_agency"],
                probation_practitioner_id=values["probation_practitioner"],
                risk_information=values["risk_information"],
                desired_outcomes=values["desired_outcomes"],
                accessibility_needs=values["accessibility_needs"],
                interpreter_required=values["interpreter_required"],
                interpreter_language=values["interpreter_language"],
                additional_information=values["additional_information"],
                referred_on=values["referred_on"],
            ),
        )
        return _written_referral_response(user, referral.pk, code=201)


class ReferralDetailApi(APIView):
    @extend_schema(
        operation_id="intervention_referral_retrieve",
        summary="A referral for direct intervention",
        responses={200: InterventionReferralOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, referral_id: int) -> Response:
        view = selectors.referral_detail_for_user(user=api_staff_member(request), referral_id=referral_id)
        return Response(InterventionReferralOutput(view).data)


class ReferralAcceptApi(APIView):
    @extend_schema(
        operation_id="intervention_referral_accept",
        summary="Accept a referral (a clinician of the health agency it was sent to)",
        request=InterventionReferralDecisionInput,
        responses={201: InterventionDetailOutput, **ERRORS},
    )
    def post(self, request: Request, referral_id: int) -> Response:
        user = api_staff_member(request)
        referral = selectors.referral_get_for_user(user=user, referral_id=referral_id)
        values = _valid(InterventionReferralDecisionInput, request.data)
        intervention = _call(services.referral_accept, actor=user, referral=referral, on=values["on"])
        return _written_intervention_response(user, intervention.pk, code=201)


class ReferralDeclineApi(APIView):
    @extend_schema(
        operation_id="intervention_referral_decline",
        summary="Decline a referral, with the reason",
        request=InterventionReasonInput,
        responses={200: InterventionReferralOutput, **ERRORS},
    )
    def post(self, request: Request, referral_id: int) -> Response:
        user = api_staff_member(request)
        referral = selectors.referral_get_for_user(user=user, referral_id=referral_id)
        values = _valid(InterventionReasonInput, request.data)
        _call(services.referral_decline, actor=user, referral=referral, reason=values["reason"])
        return _written_referral_response(user, referral_id)


class ReferralWithdrawApi(APIView):
    @extend_schema(
        operation_id="intervention_referral_withdraw",
        summary="Withdraw a referral health has not decided (the referring agency)",
        request=InterventionReasonInput,
        responses={200: InterventionReferralOutput, **ERRORS},
    )
    def post(self, request: Request, referral_id: int) -> Response:
        user = api_staff_member(request)
        referral = selectors.referral_get_for_user(user=user, referral_id=referral_id)
        values = _valid(InterventionReasonInput, request.data)
        _call(services.referral_withdraw, actor=user, referral=referral, reason=values["reason"])
        return _written_referral_response(user, referral_id)


class InterventionDetailApi(APIView):
    @extend_schema(
        operation_id="intervention_retrieve",
        summary="One intervention; for a direct intervention, its plan, sessions and progress",
        description="Never includes clinical notes: they have their own endpoint, open to health only.",
        responses={200: InterventionDetailOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, intervention_id: int) -> Response:
        # The API never carries clinical notes here: they have their own endpoint, logged as such.
        detail = selectors.intervention_detail_for_user(
            user=api_staff_member(request), intervention_id=intervention_id, clinical_notes=False
        )
        return _intervention_detail_response(detail)


def _intervention(request: Request, intervention_id: int) -> tuple[User, Intervention]:
    user = api_staff_member(request)
    return user, selectors.intervention_get_for_user(user=user, intervention_id=intervention_id)


class InterventionStartApi(APIView):
    @extend_schema(
        operation_id="intervention_start",
        summary="A planned intervention of another type has started",
        request=InterventionStartInput,
        responses={200: InterventionOutput, **ERRORS},
    )
    def post(self, request: Request, intervention_id: int) -> Response:
        user, intervention = _intervention(request, intervention_id)
        values = _valid(InterventionStartInput, request.data)
        _call(services.intervention_start, actor=user, intervention=intervention, started_on=values["started_on"])
        intervention = selectors.intervention_get_for_user(user=user, intervention_id=intervention_id)
        return Response(InterventionOutput(selectors.intervention_row(user, intervention)).data)


class InterventionEndApi(APIView):
    @extend_schema(
        operation_id="intervention_end",
        summary="End an intervention",
        description=(
            "Direct intervention: `completed` when every planned session was delivered, or earlier with "
            "`by_agreement`; `ended_early` or `dropped_out` after some; `cancelled` when none was. After any "
            "delivered session, `ratings` rate each desired outcome of the plan in order (the end-of-service "
            "report). Other types: completed, dropped out or cancelled. A reason is needed unless completed."
        ),
        request=InterventionEndInput,
        responses={200: InterventionDetailOutput, **ERRORS},
    )
    def post(self, request: Request, intervention_id: int) -> Response:
        user, intervention = _intervention(request, intervention_id)
        values = _valid(InterventionEndInput, request.data)
        data = services.EndingInput(
            ending=values["ending"],
            ended_on=values["ended_on"],
            by_agreement=values["by_agreement"],
            reason=values["reason"],
            report_summary=values["report_summary"],
            ratings=[services.RatingInput(**r) for r in values["ratings"]],
        )
        _call(services.intervention_end, actor=user, intervention=intervention, data=data)
        return _written_intervention_response(user, intervention_id)


class PlansApi(APIView):
    @extend_schema(
        operation_id="intervention_plan_save",
        summary="Write the therapy plan (or revise the approved one), optionally approving it",
        description=(
            f"Planned sessions default to {DEFAULT_PLANNED_SESSIONS} (at most {MAX_PLANNED_SESSIONS}). Approving "
            "creates the planned sessions. Once a plan is approved, a change is a new version with a "
            "`change_reason`, and never has fewer sessions than were delivered. Send the `etag` of the "
            "latest plan (the draft, else the approved one; `*` if there is none yet) as `If-Match` to be "
            "told (412) if anyone saved or approved a plan since."
        ),
        parameters=[IF_MATCH],
        request=TherapyPlanInput,
        responses={201: TherapyPlanOutput, **ERRORS, **PRECONDITION_FAILED},
    )
    def post(self, request: Request, intervention_id: int) -> Response:
        user, intervention = _intervention(request, intervention_id)
        values = _valid(TherapyPlanInput, request.data)
        approve = values.pop("approve")
        plan = _call(
            services.plan_save,
            actor=user,
            intervention=intervention,
            data=services.PlanInput(**values),
            approve=approve,
            expected_version=if_match(request),
        )
        return with_etag(Response(TherapyPlanOutput(plan).data, status=201), services.therapy_plan_version(plan))


class PlanApproveApi(APIView):
    @extend_schema(
        operation_id="intervention_plan_approve",
        summary="Approve the draft plan",
        request=None,
        responses={200: TherapyPlanOutput, **ERRORS},
    )
    def post(self, request: Request, intervention_id: int, plan_id: int) -> Response:
        user, intervention = _intervention(request, intervention_id)
        plan = intervention.plans.filter(pk=plan_id).first()
        if plan is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        plan.intervention = intervention
        return Response(TherapyPlanOutput(_call(services.plan_approve, actor=user, plan=plan)).data)


class PlanReviewsApi(APIView):
    @extend_schema(
        operation_id="intervention_plan_review_record",
        summary="Record a review of the approved plan",
        request=TherapyPlanReviewInput,
        responses={201: TherapyPlanReviewOutput, **ERRORS},
    )
    def post(self, request: Request, intervention_id: int) -> Response:
        user, intervention = _intervention(request, intervention_id)
        values = _valid(TherapyPlanReviewInput, request.data)
        review = _call(services.plan_review_record, actor=user, intervention=intervention, **values)
        return Response(TherapyPlanReviewOutput(review).data, status=201)


class SessionAppointmentsApi(APIView):
    @extend_schema(
        operation_id="intervention_session_book",
        summary="Book a time for a session (or book it again after one that did not happen)",
        request=SessionAppointmentInput,
        responses={201: SessionAppointmentOutput, **ERRORS},
    )
    def post(self, request: Request, intervention_id: int, number: int) -> Response:
        user, intervention = _intervention(request, intervention_id)
        session = selectors.session_get_for_user(user=user, intervention=intervention, number=number)
        values = _valid(SessionAppointmentInput, request.data)
        appointment = _call(
            services.appointment_book, actor=user, session=session, data=services.AppointmentInput(**values)
        )
        return Response(SessionAppointmentOutput(appointment).data, status=201)


def _appointment(request: Request, intervention_id: int, appointment_id: int) -> tuple[User, Any]:
    user, intervention = _intervention(request, intervention_id)
    return user, selectors.appointment_get_for_user(user=user, intervention=intervention, appointment_id=appointment_id)


class AppointmentRescheduleApi(APIView):
    @extend_schema(
        operation_id="intervention_appointment_reschedule",
        summary="Reschedule an appointment still to come; the old one stays with the reason",
        request=SessionRescheduleInput,
        responses={201: SessionAppointmentOutput, **ERRORS},
    )
    def post(self, request: Request, intervention_id: int, appointment_id: int) -> Response:
        user, appointment = _appointment(request, intervention_id, appointment_id)
        values = _valid(SessionRescheduleInput, request.data)
        reason = values.pop("reason")
        new = _call(
            services.appointment_reschedule,
            actor=user,
            appointment=appointment,
            data=services.AppointmentInput(**values),
            reason=reason,
        )
        return Response(SessionAppointmentOutput(new).data, status=201)


def _require_deliverer(user: User, intervention: Intervention) -> None:
    """Booking and cancelling are the delivering clinicians' alone; to others, as on the pages,
    the action does not exist."""
    if not permissions.can_deliver(user, intervention):
        raise NotFound


class AppointmentCancelApi(APIView):
    @extend_schema(
        operation_id="intervention_appointment_cancel",
        summary="Cancel an appointment still to come; it stays with the reason and its session can be booked again",
        request=AppointmentCancelInput,
        responses={200: SessionAppointmentOutput, **ERRORS},
    )
    def post(self, request: Request, intervention_id: int, appointment_id: int) -> Response:
        user, intervention = _intervention(request, intervention_id)
        _require_deliverer(user, intervention)
        appointment = selectors.appointment_get_for_user(
            user=user, intervention=intervention, appointment_id=appointment_id
        )
        values = _valid(AppointmentCancelInput, request.data)
        cancelled = _call(services.appointment_cancel, actor=user, appointment=appointment, reason=values["reason"])
        return Response(SessionAppointmentOutput(cancelled).data)


class CourseApi(APIView):
    @extend_schema(
        operation_id="intervention_course_book",
        summary="Book a course of sessions at once (weekly or fortnightly), or preview it",
        description=(
            "The next sessions of the plan not yet booked get one appointment each, every week or every other "
            "week from `first_date`, passing over `skip_dates`. All or nothing. With `preview: true` nothing is "
            "saved and the answer (200) lists the sessions as they would be booked."
        ),
        request=CourseInput,
        responses={200: CoursePreviewOutput, 201: CourseBookedOutput, **ERRORS},
    )
    def post(self, request: Request, intervention_id: int) -> Response:
        user, intervention = _intervention(request, intervention_id)
        _require_deliverer(user, intervention)
        values = _valid(CourseInput, request.data)
        preview = values.pop("preview")
        data = services.CourseInput(**values)
        if preview:
            slots = _call(services.course_preview, actor=user, intervention=intervention, data=data)
            return Response(CoursePreviewOutput({"sessions": slots}).data)
        appointments = _call(services.course_book, actor=user, intervention=intervention, data=data)
        return Response(CourseBookedOutput({"appointments": appointments}).data, status=201)


class AppointmentFeedbackApi(APIView):
    @extend_schema(
        operation_id="intervention_appointment_feedback",
        summary="Record what happened at a session (only after its start time)",
        description=(
            "`summary` is shared with probation. `clinical_notes` are class clinical (write-only here). "
            "`concerns_raised` with a `concern_description` tells the probation practitioner at once, in the "
            "service and by one e-mail."
        ),
        request=SessionFeedbackInput,
        responses={200: SessionAppointmentOutput, **ERRORS},
    )
    def post(self, request: Request, intervention_id: int, appointment_id: int) -> Response:
        user, appointment = _appointment(request, intervention_id, appointment_id)
        values = _valid(SessionFeedbackInput, request.data)
        updated = _call(
            services.appointment_feedback_record,
            actor=user,
            appointment=appointment,
            data=services.FeedbackInput(**values),
        )
        return Response(SessionAppointmentOutput(updated).data)


class ClinicalNotesApi(APIView):
    @extend_schema(
        operation_id="intervention_clinical_notes_list",
        summary="Clinical notes (class clinical): health only, 404 for everyone else",
        responses={200: ClinicalNoteOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, intervention_id: int) -> Response:
        notes = selectors.clinical_notes_for_user(user=api_staff_member(request), intervention_id=intervention_id)
        return Response(ClinicalNoteOutput(notes, many=True).data)

    @extend_schema(
        operation_id="intervention_clinical_note_add",
        summary="Add a clinical note (the delivering clinicians)",
        request=ClinicalNoteInput,
        responses={201: ClinicalNoteOutput, **ERRORS},
    )
    def post(self, request: Request, intervention_id: int) -> Response:
        user, intervention = _intervention(request, intervention_id)
        if not permissions.may_write_clinical(user):
            raise NotFound
        values = _valid(ClinicalNoteInput, request.data)
        appointment = None
        if values["appointment_id"] is not None:
            appointment = selectors.appointment_get_for_user(
                user=user, intervention=intervention, appointment_id=values["appointment_id"]
            )
        note = _call(
            services.clinical_note_add,
            actor=user,
            intervention=intervention,
            text=values["text"],
            appointment=appointment,
        )
        return Response(ClinicalNoteOutput(note).data, status=201)


class ConcernAcknowledgeInput(serializers.Serializer[Any]):
    action_taken = _text(help_text="What was done about the concern")


class ConcernAcknowledgeApi(APIView):
    @extend_schema(
        operation_id="intervention_concern_acknowledge",
        summary="Acknowledge a concern raised at a session (the probation practitioner told, or their agency)",
        request=ConcernAcknowledgeInput,
        responses={200: SessionConcernOutput, **ERRORS},
    )
    def post(self, request: Request, concern_id: int) -> Response:
        user = api_staff_member(request)
        concern = selectors.concern_get_for_user(user=user, concern_id=concern_id)
        values = _valid(ConcernAcknowledgeInput, request.data)
        _call(services.concern_acknowledge, actor=user, concern=concern, action_taken=values["action_taken"])
        return Response(SessionConcernOutput(selectors.concern_get_for_user(user=user, concern_id=concern_id)).data)
