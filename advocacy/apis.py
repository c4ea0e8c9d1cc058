"""The advocacy API under /api/v1/: the same selectors, services and rules as the pages.

Outside the user's scope, or in an area the sharing agreement withholds from the
user's agency, the answer is 404. A service's ValidationError is a 400 with its
``{field: [messages]}``. Every endpoint calls the read function of advocacy.selectors that
its page calls, which scopes, shapes and writes the access-log row; the user comes from
the API's staff gate (agencies.staff).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from advocacy import permissions, selectors, services
from advocacy.models import (
    OUTCOME_SCALE_MAX,
    Agreement,
    ContactTopic,
    Direction,
    KeyEventKind,
    MeasureKind,
    MeasureStatus,
    NeedLevel,
    NeedsDomain,
    OutcomeStage,
    Satisfaction,
)
from advocacy.permissions import Area
from agencies.models import Agency, User
from agencies.staff import api_staff_member
from cases.apis import ERRORS, StaffRefOutput, _call, _choice, _date, _optional_choice, _text, _valid
from cases.models import ContactChannel
from cases.selectors import case_get_for_user
from cases.services import SafeContactInput
from masip.api import IF_MATCH, PRECONDITION_FAILED, etag, if_match, with_etag
from masip.concurrency import version_of


def _staff_member(user: User, user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    assert user.agency is not None
    found = User.objects.filter(pk=user_id, agency__partnership_id=user.agency.partnership_id).first()
    if found is None:
        raise serializers.ValidationError({field: ["Choose a member of staff of this partnership"]})
    return found


def _agency(user: User, agency_id: int | None, field: str) -> Agency | None:
    if agency_id is None:
        return None
    assert user.agency is not None
    found = Agency.objects.filter(pk=agency_id, partnership_id=user.agency.partnership_id).first()
    if found is None:
        raise serializers.ValidationError({field: ["Choose an agency of this partnership"]})
    return found


# --- output ---------------------------------------------------------------------------------------------------


class AdvocacyAgencyRef(serializers.Serializer[Agency]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AdvocacyVictimOutput(serializers.Serializer[Any]):
    person_id = serializers.IntegerField()
    name = serializers.CharField()
    role_label = serializers.CharField()
    is_primary = serializers.BooleanField()


class AdvocacySafeContactViewOutput(serializers.Serializer[Any]):
    person_id = serializers.IntegerField()
    victim = serializers.CharField()
    recorded = serializers.BooleanField(help_text="False: no preferences recorded yet")
    safe_times = serializers.CharField()
    channels = serializers.ListField(child=serializers.CharField())
    no_voicemail = serializers.BooleanField()
    code_word = serializers.CharField()
    notes = serializers.CharField()
    updated_at = serializers.DateTimeField(allow_null=True)


class AdvocacyAssignmentOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    advocate = StaffRefOutput()
    agency = AdvocacyAgencyRef()
    started_at = serializers.DateTimeField()
    assigned_by = StaffRefOutput()
    handover_note = serializers.CharField()
    ended_at = serializers.DateTimeField(allow_null=True)
    ended_by = StaffRefOutput(allow_null=True)
    end_note = serializers.CharField()


class AdvocacyVictimAdvocateOutput(serializers.Serializer[Any]):
    victim = AdvocacyVictimOutput()
    current = AdvocacyAssignmentOutput(allow_null=True)
    history = AdvocacyAssignmentOutput(many=True, help_text="Newest first, the current one included")


class AdvocacyContactOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    channel = serializers.CharField()
    channel_label = serializers.CharField(source="get_channel_display")
    direction = serializers.CharField()
    duration_minutes = serializers.IntegerField(allow_null=True)
    staff_member = StaffRefOutput()
    topics = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()
    next_contact_due = serializers.DateField(allow_null=True)
    unsafe_method_reason = serializers.CharField(
        help_text="Why a way the victim has not agreed is safe was used; empty for a safe way, and "
        "empty where you may not see her location (it would tell her safe ways)"
    )
    version = serializers.IntegerField(help_text="1 when never changed")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class AdvocacyContactVersionOutput(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    channel = serializers.CharField()
    direction = serializers.CharField()
    duration_minutes = serializers.IntegerField(allow_null=True)
    staff_member = StaffRefOutput()
    topics = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()
    next_contact_due = serializers.DateField(allow_null=True)
    unsafe_method_reason = serializers.CharField()
    recorded_by = StaffRefOutput()
    recorded_at = serializers.DateTimeField()
    edit_reason = serializers.CharField()


class AdvocacyContactDetailOutput(serializers.Serializer[Any]):
    contact = AdvocacyContactOutput(source="entry")
    versions = AdvocacyContactVersionOutput(many=True, help_text="Every reading, newest first")


class AdvocacyContactPageOutput(serializers.Serializer[Any]):
    results = AdvocacyContactOutput(many=True, source="entries")
    next = serializers.CharField(source="next_cursor", allow_null=True, help_text="Pass as `cursor` for older contacts")


class AdvocacyNeedsItemOutput(serializers.Serializer[Any]):
    domain = serializers.CharField()
    domain_label = serializers.CharField(source="get_domain_display")
    level = serializers.CharField()
    notes = serializers.CharField()


class AdvocacyNeedsAssessmentOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    assessed_on = serializers.DateField()
    review_on = serializers.DateField()
    notes = serializers.CharField()
    assessed_by = StaffRefOutput()
    items = AdvocacyNeedsItemOutput(many=True, source="items.all")


class AdvocacyOutcomeOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    recorded_on = serializers.DateField()
    stage = serializers.CharField()
    feels_safe = serializers.IntegerField(allow_null=True)
    wellbeing = serializers.IntegerField(allow_null=True)
    incidents_last_month = serializers.IntegerField(allow_null=True)


class AdvocacyOutcomeTrendOutput(serializers.Serializer[Any]):
    measure = serializers.CharField()
    first = serializers.IntegerField()
    latest = serializers.IntegerField()
    first_on = serializers.DateField()
    latest_on = serializers.DateField()
    change = serializers.IntegerField()
    direction = serializers.CharField(help_text="improved, same or worse (fewer incidents is better)")


class AdvocacyVictimOutcomesOutput(serializers.Serializer[Any]):
    person_id = serializers.IntegerField(source="victim.person_id")
    outcomes = AdvocacyOutcomeOutput(many=True, source="rows")
    trends = AdvocacyOutcomeTrendOutput(many=True)


class AdvocacyMeasureOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    details = serializers.CharField()
    owner_agency = AdvocacyAgencyRef()
    owner = StaffRefOutput(allow_null=True)
    status = serializers.CharField()
    proposed_on = serializers.DateField()
    in_place_on = serializers.DateField(allow_null=True)
    declined_on = serializers.DateField(allow_null=True)
    ended_on = serializers.DateField(allow_null=True)
    review_on = serializers.DateField(allow_null=True)
    etag = serializers.SerializerMethodField(help_text="The measure's version: send it as `If-Match` to change it")

    def get_etag(self, obj: Any) -> str:
        return etag(version_of(obj))


class AdvocacyPlanReviewOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reviewed_on = serializers.DateField()
    summary = serializers.CharField()
    next_review_on = serializers.DateField(allow_null=True)
    reviewed_by = StaffRefOutput()


class AdvocacyPlanOutput(serializers.Serializer[Any]):
    victim = AdvocacyVictimOutput()
    plan_id = serializers.IntegerField(source="plan.pk", allow_null=True, default=None)
    review_on = serializers.DateField(source="plan.review_on", allow_null=True, default=None)
    measures = AdvocacyMeasureOutput(many=True)
    reviews = AdvocacyPlanReviewOutput(many=True)


class AdvocacyNoticeOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    advocate = StaffRefOutput(allow_null=True)
    tell_by = serializers.DateTimeField()
    told_at = serializers.DateTimeField(allow_null=True)
    told_method = serializers.CharField()
    told_note = serializers.CharField()
    told_by = StaffRefOutput(allow_null=True)
    told_contact_id = serializers.IntegerField(allow_null=True, help_text="The contact logged when she was told")
    escalated_at = serializers.DateTimeField(allow_null=True, help_text="When the advocacy lead was alerted")


class AdvocacyKeyEventRecordedOutput(serializers.Serializer[Any]):
    """What the recorder gets back: the event only, never who the victim is or whether she was told."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    occurs_on = serializers.DateField()
    details = serializers.CharField()
    raised_from = serializers.CharField(source="source", help_text="recorded, order, breach or order_expiry")
    recorded_at = serializers.DateTimeField()


class AdvocacyKeyEventOutput(AdvocacyKeyEventRecordedOutput):
    recorded_by = StaffRefOutput(allow_null=True)
    notices = AdvocacyNoticeOutput(many=True, source="notices.all")


class AdvocacyFeedbackValuesOutput(serializers.Serializer[Any]):
    collected_on = serializers.DateField()
    declined = serializers.BooleanField()
    feels_safer = serializers.IntegerField(allow_null=True, help_text="1 strongly disagree .. 5 strongly agree")
    felt_informed = serializers.IntegerField(allow_null=True)
    coping = serializers.IntegerField(allow_null=True)
    overall_satisfaction = serializers.IntegerField(
        allow_null=True, help_text="1 very dissatisfied .. 5 very satisfied"
    )
    comments = serializers.CharField()
    recorded_by = StaffRefOutput()


class AdvocacyFeedbackRowOutput(serializers.Serializer[Any]):
    victim = AdvocacyVictimOutput()
    open = serializers.BooleanField(help_text="True when feedback may be recorded (support has ended)")
    feedback = AdvocacyFeedbackValuesOutput(allow_null=True)


class AdvocacyFeedbackCountOutput(serializers.Serializer[Any]):
    value = serializers.IntegerField()
    answer = serializers.CharField()
    count = serializers.IntegerField()


class AdvocacyFeedbackQuestionOutput(serializers.Serializer[Any]):
    question = serializers.CharField()
    text = serializers.CharField(source="label")
    answered = serializers.IntegerField()
    positive = serializers.IntegerField(help_text="Answers of 4 or 5")
    positive_percent = serializers.FloatField(allow_null=True)
    counts = serializers.SerializerMethodField()

    @extend_schema_field(AdvocacyFeedbackCountOutput(many=True))
    def get_counts(self, obj: selectors.FeedbackQuestionSummary) -> list[dict[str, Any]]:
        return [{"value": v, "answer": answer, "count": c} for v, answer, c in obj.counts]


class AdvocacyFeedbackSummaryOutput(serializers.Serializer[Any]):
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    collected = serializers.IntegerField()
    declined = serializers.IntegerField()
    questions = AdvocacyFeedbackQuestionOutput(many=True)


class AdvocacyOverviewOutput(serializers.Serializer[Any]):
    """Each part is null when the sharing agreement withholds it from your agency."""

    case_id = serializers.IntegerField(source="case.pk")
    reference = serializers.CharField(source="case.reference")
    areas = serializers.ListField(child=serializers.CharField(), help_text="The parts your agency may see")
    victims = AdvocacyVictimOutput(many=True)
    advocates = AdvocacyVictimAdvocateOutput(many=True, allow_null=True)
    safe_contacts = AdvocacySafeContactViewOutput(many=True, allow_null=True)
    recent_contacts = AdvocacyContactOutput(many=True, allow_null=True)
    untold = AdvocacyNoticeOutput(many=True, allow_null=True, help_text="Key events the victim has not been told of")
    needs = serializers.SerializerMethodField()
    safety_plans = AdvocacyPlanOutput(many=True, allow_null=True, source="plans")

    @extend_schema_field(AdvocacyNeedsAssessmentOutput(many=True, allow_null=True))
    def get_needs(self, obj: selectors.Overview) -> list[dict[str, Any]] | None:
        if obj.needs is None:
            return None
        return [dict(AdvocacyNeedsAssessmentOutput(a).data) for a in obj.needs.values()]


class AdvocacyLeadOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    agency = AdvocacyAgencyRef()
    user = StaffRefOutput()


class AdvocacySettingsOutput(serializers.Serializer[Any]):
    tell_victim_within_hours = serializers.IntegerField(source="settings.tell_victim_within_hours")
    review_reminder_days = serializers.IntegerField(source="settings.review_reminder_days")
    leads = AdvocacyLeadOutput(many=True)


# --- input --------------------------------------------------------------------------------------------------


class AdvocacyVictimInput(serializers.Serializer[Any]):
    victim = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The victim's person_id; optional with one victim"
    )


class AdvocacyAssignInput(AdvocacyVictimInput):
    advocate = serializers.IntegerField()
    handover_note = _text()


class AdvocacyEndInput(AdvocacyVictimInput):
    note = _text()


class AdvocacyContactInput(AdvocacyVictimInput):
    occurred_at = serializers.DateTimeField()
    channel = _choice("ContactChannel", ContactChannel.choices)
    direction = _choice("ContactDirection", Direction.choices)
    duration_minutes = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0)
    topics = serializers.ListField(child=_choice("ContactTopic", ContactTopic.choices), allow_empty=True)
    summary = _text()
    next_contact_due = _date()
    staff_member = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Who had the contact; default: you"
    )
    unsafe_method_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the way is not one the victim has agreed is safe, and for every way when "
        "you may not see her safe-contact details; kept and shown with the contact",
    )
    personal_details_confirmed = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The text looks like it holds a phone number, e-mail or street address or postcode, "
        "and these are safe to share (refused with a field error otherwise)",
    )


class AdvocacyContactEditInput(AdvocacyContactInput):
    reason = _text()


class AdvocacySafeContactInput(serializers.Serializer[Any]):
    """Lengths are checked by cases.services.validate_safe_contact, as for every other writer
    of these details (the channels' enum stays here for the schema)."""

    safe_times = _text()
    channels = serializers.ListField(
        child=_choice("ContactChannel", ContactChannel.choices), required=False, default=list
    )
    no_voicemail = serializers.BooleanField(required=False, default=False)
    code_word = _text()
    notes = _text()


class AdvocacyNeedsItemInput(serializers.Serializer[Any]):
    domain = _choice("NeedsDomain", NeedsDomain.choices)
    level = _choice("NeedLevel", NeedLevel.choices)
    notes = _text()


class AdvocacyNeedsInput(AdvocacyVictimInput):
    assessed_on = serializers.DateField()
    review_on = _date()
    notes = _text()
    items = AdvocacyNeedsItemInput(many=True, help_text="One per domain, all eight")


class AdvocacyOutcomeInput(AdvocacyVictimInput):
    recorded_on = serializers.DateField()
    stage = _choice(
        "OutcomeStage",
        [(str(s.value), str(s.label)) for s in (OutcomeStage.INTAKE, OutcomeStage.REVIEW, OutcomeStage.CLOSURE)],
    )
    feels_safe = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=OUTCOME_SCALE_MAX
    )
    wellbeing = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=OUTCOME_SCALE_MAX
    )
    incidents_last_month = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0)


class AdvocacyMeasureInput(AdvocacyVictimInput):
    kind = _choice("MeasureKind", MeasureKind.choices)
    details = _text()
    owner_agency = serializers.IntegerField()
    owner = serializers.IntegerField(required=False, allow_null=True, default=None)
    status = _choice(
        "NewMeasureStatus",
        [(MeasureStatus.PROPOSED.value, "Proposed"), (MeasureStatus.IN_PLACE.value, "In place")],
        required=False,
        default=MeasureStatus.PROPOSED.value,
    )
    proposed_on = _date()
    in_place_on = _date()
    review_on = _date()


class AdvocacyMeasureUpdateInput(serializers.Serializer[Any]):
    status = _optional_choice("MeasureStatus", MeasureStatus.choices)
    on = _date()
    details = serializers.CharField(required=False, allow_blank=True)
    owner_agency = serializers.IntegerField(required=False)
    owner = serializers.IntegerField(required=False, allow_null=True, default=None)
    review_on = serializers.DateField(required=False, allow_null=True)


class AdvocacyReviewInput(AdvocacyVictimInput):
    reviewed_on = serializers.DateField()
    summary = _text()
    next_review_on = _date()


class AdvocacyKeyEventInput(serializers.Serializer[Any]):
    kind = _choice("KeyEventKind", KeyEventKind.choices)
    occurs_on = serializers.DateField()
    details = _text()


class AdvocacyToldInput(serializers.Serializer[Any]):
    told_at = serializers.DateTimeField()
    method = _choice("ContactChannel", ContactChannel.choices)
    note = _text()
    unsafe_method_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when the way is not one the victim has agreed is safe, and for every way when "
        "you may not see her safe-contact details; kept and shown with the contact",
    )
    personal_details_confirmed = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The text looks like it holds a phone number, e-mail or street address or postcode, "
        "and these are safe to share (refused with a field error otherwise)",
    )


def _scale_input(scale: type[Agreement] | type[Satisfaction]) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=5,
        help_text="; ".join(f"{value} {label}" for value, label in scale.choices) + "; null: not answered",
    )


class AdvocacyFeedbackInput(AdvocacyVictimInput):
    collected_on = serializers.DateField()
    declined = serializers.BooleanField(required=False, default=False)
    feels_safer = _scale_input(Agreement)
    felt_informed = _scale_input(Agreement)
    coping = _scale_input(Agreement)
    overall_satisfaction = _scale_input(Satisfaction)
    comments = _text()


class AdvocacySettingsInput(serializers.Serializer[Any]):
    tell_victim_within_hours = serializers.IntegerField()
    review_reminder_days = serializers.IntegerField()


class AdvocacyLeadInput(serializers.Serializer[Any]):
    user = serializers.IntegerField()


class AdvocacyFeedbackSummaryQuery(serializers.Serializer[Any]):
    start = _date()
    end = _date()


class AdvocacyCursorQuery(serializers.Serializer[Any]):
    cursor = serializers.CharField(required=False, allow_blank=True, default="", max_length=80)


# --- one case ---------------------------------------------------------------------------------------------


class OverviewApi(APIView):
    @extend_schema(
        operation_id="advocacy_overview",
        summary="Victim advocacy on one case, as your agency may see it",
        responses={200: AdvocacyOverviewOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        overview = selectors.overview_for_user(user=user, case_id=case_id)
        return Response(AdvocacyOverviewOutput(overview).data)


class AdvocatesApi(APIView):
    @extend_schema(
        operation_id="advocacy_advocates",
        summary="Each victim's advocate and the history of handovers",
        responses={200: AdvocacyVictimAdvocateOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        page = selectors.assignments_for_user(user=user, case_id=case_id)
        return Response(AdvocacyVictimAdvocateOutput(page.advocates, many=True).data)

    @extend_schema(
        operation_id="advocacy_advocate_assign",
        summary="Assign the victim's advocate, or hand over to another (a handover needs a note)",
        request=AdvocacyAssignInput,
        responses={201: AdvocacyAssignmentOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_for_area(user=user, case_id=case_id, area=Area.ASSIGNMENT)
        values = _valid(AdvocacyAssignInput, request.data)
        advocate = _staff_member(user, values["advocate"], "advocate")
        made = _call(
            services.advocate_assign,
            actor=user,
            case=case,
            advocate=advocate,
            person_id=values["victim"],
            handover_note=values["handover_note"],
        )
        return Response(AdvocacyAssignmentOutput(made).data, status=status.HTTP_201_CREATED)


class AdvocateEndApi(APIView):
    @extend_schema(
        operation_id="advocacy_advocate_end",
        summary="End the victim's advocacy support (no successor)",
        request=AdvocacyEndInput,
        responses={200: AdvocacyAssignmentOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_for_area(user=user, case_id=case_id, area=Area.ASSIGNMENT)
        values = _valid(AdvocacyEndInput, request.data)
        ended = _call(services.advocate_end, actor=user, case=case, person_id=values["victim"], note=values["note"])
        return Response(AdvocacyAssignmentOutput(ended).data)


def _contact_input(user: User, values: dict[str, Any]) -> services.ContactInput:
    return services.ContactInput(
        occurred_at=values["occurred_at"],
        channel=values["channel"],
        direction=values["direction"],
        topics=list(values["topics"]),
        summary=values["summary"],
        duration_minutes=values["duration_minutes"],
        next_contact_due=values["next_contact_due"],
        staff_member=_staff_member(user, values["staff_member"], "staff_member"),
        unsafe_method_reason=values["unsafe_method_reason"],
        personal_details_confirmed=values["personal_details_confirmed"],
    )


class ContactsApi(APIView):
    @extend_schema(
        operation_id="advocacy_contacts",
        summary="The contact log, newest first",
        parameters=[AdvocacyCursorQuery],
        responses={200: AdvocacyContactPageOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        values = _valid(AdvocacyCursorQuery, request.query_params)
        log = selectors.contact_log_for_user(user=user, case_id=case_id, cursor=values["cursor"])
        return Response(AdvocacyContactPageOutput(log).data)

    @extend_schema(
        operation_id="advocacy_contact_add",
        summary="Log a contact with the victim (advocacy staff)",
        request=AdvocacyContactInput,
        responses={201: AdvocacyContactOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_for_area(user=user, case_id=case_id, area=Area.CONTACT)
        values = _valid(AdvocacyContactInput, request.data)
        entry = _call(
            services.contact_record,
            actor=user,
            case=case,
            data=_contact_input(user, values),
            person_id=values["victim"],
        )
        # Shaped as every read of it is (the override reason withheld where her location is).
        fresh = selectors.contact_after_change(user=user, case_id=case_id, contact_id=entry.pk)
        return Response(AdvocacyContactOutput(fresh.entry).data, status=status.HTTP_201_CREATED)


class ContactDetailApi(APIView):
    @extend_schema(
        operation_id="advocacy_contact_retrieve",
        summary="One contact with every version of it",
        responses={200: AdvocacyContactDetailOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int, contact_id: int) -> Response:
        user = api_staff_member(request)
        detail = selectors.contact_get_for_user(user=user, case_id=case_id, contact_id=contact_id)
        return Response(AdvocacyContactDetailOutput(detail).data)

    @extend_schema(
        operation_id="advocacy_contact_change",
        summary="Correct a contact: the whole new reading and the reason; the earlier version is kept",
        request=AdvocacyContactEditInput,
        responses={200: AdvocacyContactDetailOutput, **ERRORS},
    )
    def put(self, request: Request, case_id: int, contact_id: int) -> Response:
        user = api_staff_member(request)
        entry = selectors.contact_for_change(user=user, case_id=case_id, contact_id=contact_id)
        values = _valid(AdvocacyContactEditInput, request.data)
        _call(
            services.contact_update,
            actor=user,
            entry=entry,
            data=_contact_input(user, values),
            reason=values["reason"],
        )
        fresh = selectors.contact_after_change(user=user, case_id=case_id, contact_id=contact_id)
        return Response(AdvocacyContactDetailOutput(fresh).data)


class SafeContactApi(APIView):
    @extend_schema(
        operation_id="advocacy_safe_contact",
        summary="A victim's safe-contact preferences (where the agreement lets you see her location)",
        responses={200: AdvocacySafeContactViewOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int, person_id: int) -> Response:
        user = api_staff_member(request)
        page = selectors.safe_contact_for_user(user=user, case_id=case_id, person_id=person_id)
        return Response(AdvocacySafeContactViewOutput(page.view).data)

    @extend_schema(
        operation_id="advocacy_safe_contact_update",
        summary="Replace a victim's safe-contact preferences",
        request=AdvocacySafeContactInput,
        responses={200: AdvocacySafeContactViewOutput, **ERRORS},
    )
    def put(self, request: Request, case_id: int, person_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.safe_contact_for_change(user=user, case_id=case_id, person_id=person_id)
        values = _valid(AdvocacySafeContactInput, request.data)
        _call(
            services.safe_contact_update,
            actor=user,
            case=case,
            data=SafeContactInput(**values),
            person_id=person_id,
        )
        fresh = selectors.safe_contact_after_change(user=user, case_id=case_id, person_id=person_id)
        return Response(AdvocacySafeContactViewOutput(fresh.view).data)


class NeedsApi(APIView):
    @extend_schema(
        operation_id="advocacy_needs",
        summary="Needs assessments, newest first",
        responses={200: AdvocacyNeedsAssessmentOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        page = selectors.needs_for_user(user=user, case_id=case_id)
        return Response(AdvocacyNeedsAssessmentOutput(page.assessments, many=True).data)

    @extend_schema(
        operation_id="advocacy_needs_add",
        summary="Record a needs assessment: a level in each of the eight domains and a review date",
        request=AdvocacyNeedsInput,
        responses={201: AdvocacyNeedsAssessmentOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_for_area(user=user, case_id=case_id, area=Area.NEEDS)
        values = _valid(AdvocacyNeedsInput, request.data)
        items = values["items"]
        if len({i["domain"] for i in items}) != len(items):
            raise serializers.ValidationError({"items": ["Give each domain once"]})
        assessment = _call(
            services.needs_assess,
            actor=user,
            case=case,
            assessed_on=values["assessed_on"],
            review_on=values["review_on"],
            levels={i["domain"]: i["level"] for i in items},
            domain_notes={i["domain"]: i["notes"] for i in items},
            notes=values["notes"],
            person_id=values["victim"],
        )
        return Response(AdvocacyNeedsAssessmentOutput(assessment).data, status=status.HTTP_201_CREATED)


class OutcomesApi(APIView):
    @extend_schema(
        operation_id="advocacy_outcomes",
        summary="How each victim is doing: every answer, oldest first, and first against latest",
        responses={200: AdvocacyVictimOutcomesOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        page = selectors.outcomes_for_user(user=user, case_id=case_id)
        return Response(AdvocacyVictimOutcomesOutput(page.victims, many=True).data)

    @extend_schema(
        operation_id="advocacy_outcomes_add",
        summary="Record how the victim is doing: how safe she feels and wellbeing (0-10), incidents in the last "
        "month; at least one",
        request=AdvocacyOutcomeInput,
        responses={201: AdvocacyOutcomeOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_for_area(user=user, case_id=case_id, area=Area.OUTCOMES)
        values = _valid(AdvocacyOutcomeInput, request.data)
        outcome = _call(
            services.victim_outcome_record,
            actor=user,
            case=case,
            data=services.OutcomeInput(
                recorded_on=values["recorded_on"],
                stage=values["stage"],
                feels_safe=values["feels_safe"],
                wellbeing=values["wellbeing"],
                incidents_last_month=values["incidents_last_month"],
            ),
            person_id=values["victim"],
        )
        return Response(AdvocacyOutcomeOutput(outcome).data, status=status.HTTP_201_CREATED)


class SafetyPlanApi(APIView):
    @extend_schema(
        operation_id="advocacy_safety_plans",
        summary="Each victim's safety plan: measures and reviews",
        responses={200: AdvocacyPlanOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        page = selectors.safety_plans_for_user(user=user, case_id=case_id)
        return Response(AdvocacyPlanOutput(page.plans, many=True).data)


class MeasuresApi(APIView):
    @extend_schema(
        operation_id="advocacy_measure_add",
        summary="Add a measure from the catalogue to a victim's safety plan (advocacy, police)",
        request=AdvocacyMeasureInput,
        responses={201: AdvocacyMeasureOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_for_area(user=user, case_id=case_id, area=Area.SAFETY_PLAN)
        values = _valid(AdvocacyMeasureInput, request.data)
        data = services.MeasureInput(
            kind=values["kind"],
            owner_agency=_agency(user, values["owner_agency"], "owner_agency"),
            details=values["details"],
            owner=_staff_member(user, values["owner"], "owner"),
            status=values["status"],
            proposed_on=values["proposed_on"],
            in_place_on=values["in_place_on"],
            review_on=values["review_on"],
        )
        measure = _call(services.safety_measure_add, actor=user, case=case, data=data, person_id=values["victim"])
        return Response(AdvocacyMeasureOutput(measure).data, status=status.HTTP_201_CREATED)


class MeasureApi(APIView):
    @extend_schema(
        operation_id="advocacy_measure_update",
        summary="Change a measure: status (with the date `on`), details, owner, review date (null clears it)",
        description=(
            "Fields left out keep their value. Send the measure's `etag` (also the `ETag` of this "
            "answer) as `If-Match` to be told (412) if anyone changed it since."
        ),
        parameters=[IF_MATCH],
        request=AdvocacyMeasureUpdateInput,
        responses={200: AdvocacyMeasureOutput, **ERRORS, **PRECONDITION_FAILED},
    )
    def patch(self, request: Request, case_id: int, measure_id: int) -> Response:
        user = api_staff_member(request)
        measure = selectors.measure_for_change(user=user, case_id=case_id, measure_id=measure_id)
        values = _valid(AdvocacyMeasureUpdateInput, request.data)
        owner_agency = _agency(user, values.get("owner_agency"), "owner_agency")
        updated = _call(
            services.safety_measure_update,
            actor=user,
            measure=measure,
            status=values.get("status") or None,
            on=values.get("on"),
            details=values.get("details"),
            owner_agency=owner_agency,
            owner=_staff_member(user, values.get("owner"), "owner") if owner_agency else None,
            review_on=values.get("review_on"),
            clear_review="review_on" in values and values["review_on"] is None,
            expected_version=if_match(request),
        )
        return with_etag(Response(AdvocacyMeasureOutput(updated).data), version_of(updated))


class ReviewsApi(APIView):
    @extend_schema(
        operation_id="advocacy_plan_review_add",
        summary="Record a review of a victim's safety plan; its next review date becomes the plan's",
        request=AdvocacyReviewInput,
        responses={201: AdvocacyPlanReviewOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_for_area(user=user, case_id=case_id, area=Area.SAFETY_PLAN)
        values = _valid(AdvocacyReviewInput, request.data)
        review = _call(
            services.safety_plan_review,
            actor=user,
            case=case,
            reviewed_on=values["reviewed_on"],
            summary=values["summary"],
            next_review_on=values["next_review_on"],
            person_id=values["victim"],
        )
        return Response(AdvocacyPlanReviewOutput(review).data, status=status.HTTP_201_CREATED)


class KeyEventsApi(APIView):
    @extend_schema(
        operation_id="advocacy_key_events",
        summary="Key events and whether each victim has been told (advocacy, police)",
        responses={200: AdvocacyKeyEventOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        page = selectors.key_events_for_user(user=user, case_id=case_id)
        return Response(AdvocacyKeyEventOutput(page.events, many=True).data)

    @extend_schema(
        operation_id="advocacy_key_event_add",
        summary="Record a key event (police, probation); the victim's advocate is alerted at once",
        description="The answer is the event as recorded: nothing about the victim.",
        request=AdvocacyKeyEventInput,
        responses={201: AdvocacyKeyEventRecordedOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = case_get_for_user(user=user, case_id=case_id)
        if not permissions.can_record_key_event(user):
            raise Http404
        values = _valid(AdvocacyKeyEventInput, request.data)
        event = _call(services.key_event_record, actor=user, case=case, data=services.KeyEventInput(**values))
        return Response(AdvocacyKeyEventRecordedOutput(event).data, status=status.HTTP_201_CREATED)


class NoticeToldApi(APIView):
    @extend_schema(
        operation_id="advocacy_victim_told",
        summary="Record when and how the victim was told of a key event (advocacy staff)",
        request=AdvocacyToldInput,
        responses={200: AdvocacyNoticeOutput, **ERRORS},
    )
    def post(self, request: Request, case_id: int, notice_id: int) -> Response:
        user = api_staff_member(request)
        notice = selectors.notice_for_change(user=user, case_id=case_id, notice_id=notice_id)
        values = _valid(AdvocacyToldInput, request.data)
        notice = _call(
            services.victim_told,
            actor=user,
            notice=notice,
            told_at=values["told_at"],
            method=values["method"],
            note=values["note"],
            unsafe_method_reason=values["unsafe_method_reason"],
            personal_details_confirmed=values["personal_details_confirmed"],
        )
        return Response(AdvocacyNoticeOutput(notice).data)


class FeedbackApi(APIView):
    @extend_schema(
        operation_id="advocacy_feedback",
        summary="The closing questionnaire of each victim",
        responses={200: AdvocacyFeedbackRowOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        page = selectors.feedback_for_user(user=user, case_id=case_id)
        return Response(AdvocacyFeedbackRowOutput(page.rows, many=True).data)

    @extend_schema(
        operation_id="advocacy_feedback_record",
        summary="Record or correct a victim's closing questionnaire (advocacy staff)",
        request=AdvocacyFeedbackInput,
        responses={200: AdvocacyFeedbackValuesOutput, **ERRORS},
    )
    def put(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        case = selectors.case_for_area(user=user, case_id=case_id, area=Area.FEEDBACK)
        values = _valid(AdvocacyFeedbackInput, request.data)
        person_id = values.pop("victim")
        feedback = _call(
            services.feedback_record,
            actor=user,
            case=case,
            data=services.FeedbackInput(**values),
            person_id=person_id,
        )
        return Response(AdvocacyFeedbackValuesOutput(feedback).data)


# --- across cases ---------------------------------------------------------------------------------------------


class FeedbackSummaryApi(APIView):
    @extend_schema(
        operation_id="advocacy_feedback_summary",
        summary="Counts of the closing questionnaire's answers across the partnership, for reporting",
        parameters=[AdvocacyFeedbackSummaryQuery],
        responses={200: AdvocacyFeedbackSummaryOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        user = api_staff_member(request)
        values = _valid(AdvocacyFeedbackSummaryQuery, request.query_params)
        summary = selectors.feedback_summary_for_user(user=user, start=values["start"], end=values["end"])
        return Response(AdvocacyFeedbackSummaryOutput(summary).data)


class SettingsApi(APIView):
    @extend_schema(
        operation_id="advocacy_settings",
        summary="The partnership's advocacy settings and leads (partnership admins)",
        responses={200: AdvocacySettingsOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        page = selectors.settings_for_admin(user=api_staff_member(request))
        return Response(AdvocacySettingsOutput(page).data)

    @extend_schema(
        operation_id="advocacy_settings_update",
        summary="Change the hours to tell a victim of a key event and the review-reminder days",
        request=AdvocacySettingsInput,
        responses={200: AdvocacySettingsOutput, **ERRORS},
    )
    def put(self, request: Request) -> Response:
        user = api_staff_member(request)
        selectors.settings_for_admin(user=user)
        values = _valid(AdvocacySettingsInput, request.data)
        _call(services.settings_update, actor=user, **values)
        return Response(AdvocacySettingsOutput(selectors.settings_for_admin(user=user)).data)


class LeadsApi(APIView):
    @extend_schema(
        operation_id="advocacy_lead_add",
        summary="Make a member of an advocacy agency one of its leads",
        request=AdvocacyLeadInput,
        responses={201: AdvocacyLeadOutput, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        user = api_staff_member(request)
        page = selectors.settings_for_admin(user=user)
        values = _valid(AdvocacyLeadInput, request.data)
        lead_user = next((u for u in page.staff if u.pk == values["user"]), None)
        if lead_user is None:
            raise serializers.ValidationError({"user": ["Choose an active member of an advocacy agency"]})
        agency = next(a for a in page.agencies if a.pk == lead_user.agency_id)
        lead = _call(services.lead_add, actor=user, agency=agency, user=lead_user)
        return Response(AdvocacyLeadOutput(lead).data, status=status.HTTP_201_CREATED)


class LeadApi(APIView):
    @extend_schema(
        operation_id="advocacy_lead_remove",
        summary="Stop a lead being a lead",
        responses={204: None, 404: ERRORS[404]},
    )
    def delete(self, request: Request, lead_id: int) -> Response:
        services.lead_remove(actor=api_staff_member(request), lead_id=lead_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
