"""The meetings API: the same selectors, services and access rules as the meeting pages.

A meeting is visible to the staff of its partnership; a case on its agenda, and what was
said and decided about it, only to those who can see the case; an information-sharing
entry or an action with a record class only to agencies the sharing agreement allows.
Outside that the answer is 404. A service's ValidationError answers 400 with its
``{field: [messages]}``; a role that may not run the meeting gets 403.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import RecordClass
from agencies.staff import api_staff_member
from cases.apis import ERRORS, AgencyRefOutput, StaffRefOutput, _call, _choice, _optional_choice, _text, _valid
from cases.models import DECLINE_REASONS, Decision, StalkerType
from masip.api import IF_MATCH, PRECONDITION_FAILED, etag, if_match, with_etag
from masip.concurrency import version_of
from triage import selectors, services
from triage.models import (
    ActionStatus,
    AttendanceStatus,
    Consensus,
    Hearing,
    MeetingKind,
    Outcome,
    SashLevel,
)

FORBIDDEN = {403: OpenApiResponse(description="Your role cannot run this meeting")}


# --- output ----------------------------------------------------------------------------------------------------


class MeetingOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    starts_at = serializers.DateTimeField()
    location = serializers.CharField()
    chair = StaffRefOutput(allow_null=True)
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    started_at = serializers.DateTimeField(allow_null=True)
    concluded_at = serializers.DateTimeField(allow_null=True)


class AttendanceOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    agency = AgencyRefOutput()
    person = StaffRefOutput(allow_null=True)
    name = serializers.CharField()
    status = serializers.CharField()


class TriageCaseOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()
    tier = serializers.IntegerField(allow_null=True)
    current_risk = serializers.CharField()
    heard_at_clinic = serializers.BooleanField()
    stalker_type = serializers.CharField()
    stalker_type_secondary = serializers.CharField()


class InformationOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    agency = AgencyRefOutput()
    record_class = serializers.CharField(help_text="Empty: every agency that can see the case")
    text = serializers.CharField()
    recorded_by = StaffRefOutput()
    created_at = serializers.DateTimeField()


class MeetingActionOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    case_id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    description = serializers.CharField()
    record_class = serializers.CharField()
    owner = StaffRefOutput()
    owner_agency = AgencyRefOutput()
    due_on = serializers.DateField()
    status = serializers.CharField()
    overdue = serializers.SerializerMethodField()
    completed_at = serializers.DateTimeField(allow_null=True)
    completion_note = serializers.CharField()

    def get_overdue(self, obj: Any) -> bool:
        return bool(obj.status == ActionStatus.OPEN and obj.due_on < timezone.localdate())


class MeetingDecisionOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    case_id = serializers.IntegerField()
    outcome = serializers.CharField()
    outcome_label = serializers.CharField(source="get_outcome_display")
    stalking_consensus = serializers.CharField()
    meets_legal_threshold = serializers.BooleanField(allow_null=True)
    added_value = serializers.BooleanField(allow_null=True)
    decline_reason = serializers.CharField()
    reason = serializers.CharField()
    tier = serializers.IntegerField(allow_null=True)
    refer_to_clinic = serializers.BooleanField()
    sash_level = serializers.CharField()
    stalker_type = serializers.CharField()
    stalker_type_secondary = serializers.CharField()
    status_before = serializers.CharField()
    status_after = serializers.CharField()
    decided_by = StaffRefOutput()
    decided_at = serializers.DateTimeField()


class AgendaItemOutput(serializers.Serializer[Any]):
    """selectors.ItemView: entries and actions already limited to what the reader may see."""

    id = serializers.IntegerField(source="item.pk")
    position = serializers.IntegerField(source="item.position")
    hearing = serializers.CharField(source="item.hearing")
    source = serializers.CharField(source="item.source")  # type: ignore[assignment]  # a field named "source"
    case = TriageCaseOutput()
    perpetrator = serializers.CharField(source="names.perpetrator")
    victim = serializers.CharField(source="names.victim", help_text="'Identity withheld' where the agreement says so")
    sash_level = serializers.CharField()
    shares = InformationOutput(many=True)
    decision = MeetingDecisionOutput(allow_null=True)
    actions = MeetingActionOutput(many=True)
    etag = serializers.SerializerMethodField(help_text="The item's version: send it as `If-Match` to change it")

    def get_etag(self, obj: Any) -> str:
        return etag(version_of(obj.item))


class MeetingDetailOutput(serializers.Serializer[Any]):
    meeting = MeetingOutput()
    attendance = AttendanceOutput(many=True)
    items = AgendaItemOutput(many=True)
    hidden_items = serializers.IntegerField(help_text="Cases on the agenda not shared with your agency")


class MeetingPageOutput(serializers.Serializer[Any]):
    results = MeetingOutput(many=True)
    next_page = serializers.IntegerField(allow_null=True)


class AgendaProposalOutput(serializers.Serializer[Any]):
    case = TriageCaseOutput()
    source = serializers.CharField()  # type: ignore[assignment]  # a field named "source"
    perpetrator = serializers.CharField(source="names.perpetrator")
    victim = serializers.CharField(source="names.victim")
    elsewhere = serializers.SerializerMethodField(help_text="Other open meetings with the case on their agenda")

    def get_elsewhere(self, obj: selectors.Proposal) -> list[int]:
        return [m.pk for m in obj.elsewhere]


class MeetingActionPageOutput(serializers.Serializer[Any]):
    results = MeetingActionOutput(many=True, source="actions")
    next_page = serializers.IntegerField(allow_null=True)


# --- input ------------------------------------------------------------------------------------------------------


class MeetingCreateInput(serializers.Serializer[Any]):
    kind = _choice("MeetingKind", MeetingKind.choices)
    starts_at = serializers.DateTimeField()
    chair = serializers.IntegerField(required=False, allow_null=True, default=None)
    location = _text(200)


class MeetingUpdateInput(serializers.Serializer[Any]):
    starts_at = serializers.DateTimeField()
    chair = serializers.IntegerField(required=False, allow_null=True, default=None)
    location = _text(200)


class AttendanceInput(serializers.Serializer[Any]):
    agency = serializers.IntegerField(required=False, allow_null=True, default=None)
    person = serializers.IntegerField(required=False, allow_null=True, default=None)
    name = _text(200)
    status = _choice("AttendanceStatus", AttendanceStatus.choices, required=False, default=AttendanceStatus.PRESENT)


class AgendaAddInput(serializers.Serializer[Any]):
    case = serializers.IntegerField()
    hearing = _optional_choice("Hearing", Hearing.choices)


class AgendaOrderInput(serializers.Serializer[Any]):
    items = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The id of every item you can see, first to last; the others keep their places",
    )


class AgendaHearingInput(serializers.Serializer[Any]):
    hearing = _choice("Hearing", Hearing.choices)


class InformationInput(serializers.Serializer[Any]):
    text = serializers.CharField()
    record_class = _optional_choice("RecordClass", RecordClass.choices)
    agency = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Another agency's contribution (who runs the meeting)"
    )


class MeetingActionInput(serializers.Serializer[Any]):
    owner = serializers.IntegerField(help_text="A member of staff who can see the case")
    owner_agency = serializers.IntegerField(required=False, allow_null=True, default=None)
    description = serializers.CharField()
    due_on = serializers.DateField()
    record_class = _optional_choice("RecordClass", RecordClass.choices)


class MeetingDecisionInput(serializers.Serializer[Any]):
    outcome = _choice("MeetingOutcome", Outcome.choices)
    stalking_consensus = _optional_choice("StalkingConsensus", Consensus.choices)
    meets_legal_threshold = serializers.BooleanField(required=False, allow_null=True, default=None)
    added_value = serializers.BooleanField(required=False, allow_null=True, default=None)
    decline_reason = _optional_choice("DeclineReason", [(d.value, Decision(d).label) for d in DECLINE_REASONS])
    reason = _text()
    tier = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=4)
    refer_to_clinic = serializers.BooleanField(required=False, default=False)
    sash_level = _optional_choice("SashLevel", SashLevel.choices)
    stalker_type = _optional_choice("StalkerType", StalkerType.choices)
    stalker_type_secondary = _optional_choice("StalkerType", StalkerType.choices)
    actions = MeetingActionInput(many=True, required=False, default=list)


class MeetingActionUpdateInput(serializers.Serializer[Any]):
    status = _choice(
        "ActionNewStatus", [(ActionStatus.DONE, "Done"), (ActionStatus.CANCELLED, "Cancelled")], required=False
    )
    note = _text()
    due_on = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("status") and attrs.get("due_on") is None:
            raise serializers.ValidationError({"status": ["Give a new status or a new due date"]})
        return attrs


def _action_input(data: dict[str, Any]) -> services.ActionInput:
    return services.ActionInput(
        owner_id=data["owner"],
        owner_agency_id=data.get("owner_agency"),
        description=data["description"],
        due_on=data["due_on"],
        record_class=data.get("record_class", ""),
    )


# --- meetings ------------------------------------------------------------------------------------------------------

PAGE_SIZE = 50
# A page past the last is empty, however far past: numbers beyond this one are read as
# this one, which is past any partnership's last page and keeps the OFFSET inside bigint.
MAX_PAGE = 1_000_000


def _page_number() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, default=1, min_value=1, help_text="From 1; past the last, empty")


class MeetingListQuery(serializers.Serializer[Any]):
    kind = _choice("MeetingKind", MeetingKind.choices, required=False)
    page = _page_number()


class ActionListQuery(serializers.Serializer[Any]):
    scope = serializers.ChoiceField(choices=["mine", "agency"], required=False, default="mine")
    status = serializers.ChoiceField(choices=["open", "closed"], required=False, default="open")
    page = _page_number()


class MeetingListApi(APIView):
    @extend_schema(
        operation_id="meetings_list",
        summary="Your partnership's meetings, latest first",
        parameters=[MeetingListQuery],
        responses={200: MeetingPageOutput, 400: ERRORS[400]},
    )
    def get(self, request: Request) -> Response:
        user = api_staff_member(request)
        query = _valid(MeetingListQuery, request.query_params)
        qs = selectors.meeting_queryset_for_user(user=user).select_related("chair").order_by("-starts_at", "-id")
        if query.get("kind"):
            qs = qs.filter(kind=query["kind"])
        page = min(query["page"], MAX_PAGE)
        rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
        data = {"results": rows[:PAGE_SIZE], "next_page": page + 1 if len(rows) > PAGE_SIZE else None}
        return Response(MeetingPageOutput(data).data)

    @extend_schema(
        operation_id="meeting_create",
        summary="Schedule a meeting",
        request=MeetingCreateInput,
        responses={201: MeetingOutput, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        user = api_staff_member(request)
        values = _valid(MeetingCreateInput, request.data)
        meeting = _call(
            services.meeting_create,
            actor=user,
            kind=values["kind"],
            starts_at=values["starts_at"],
            chair_id=values["chair"],
            location=values["location"],
        )
        return Response(MeetingOutput(meeting).data, status=status.HTTP_201_CREATED)


def _detail_response(request: Request, meeting_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    detail = selectors.meeting_detail_for_user(user=api_staff_member(request), meeting_id=meeting_id)
    return Response(MeetingDetailOutput(detail).data, status=status_code)


class MeetingDetailApi(APIView):
    @extend_schema(
        operation_id="meeting_retrieve",
        summary="A meeting: attendance and the agenda items you may see, with decisions, information and actions",
        responses={200: MeetingDetailOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, meeting_id: int) -> Response:
        return _detail_response(request, meeting_id)

    @extend_schema(
        operation_id="meeting_update",
        summary="Change a meeting's time, chair or place",
        request=MeetingUpdateInput,
        responses={200: MeetingOutput, **ERRORS, **FORBIDDEN},
    )
    def patch(self, request: Request, meeting_id: int) -> Response:
        user = api_staff_member(request)
        meeting = selectors.meeting_get_for_user(user=user, meeting_id=meeting_id)
        values = _valid(MeetingUpdateInput, request.data)
        updated = _call(
            services.meeting_update,
            actor=user,
            meeting=meeting,
            starts_at=values["starts_at"],
            chair_id=values["chair"],
            location=values["location"],
        )
        return Response(MeetingOutput(updated).data)


class MeetingStartApi(APIView):
    @extend_schema(
        operation_id="meeting_start",
        summary="Start the meeting",
        request=None,
        responses={200: MeetingOutput, **ERRORS, **FORBIDDEN},
    )
    def post(self, request: Request, meeting_id: int) -> Response:
        user = api_staff_member(request)
        meeting = selectors.meeting_get_for_user(user=user, meeting_id=meeting_id)
        return Response(MeetingOutput(_call(services.meeting_start, actor=user, meeting=meeting)).data)


class MeetingConcludeApi(APIView):
    @extend_schema(
        operation_id="meeting_conclude",
        summary="Conclude the meeting",
        description="Undecided cases stay as they are and are proposed to the next meeting.",
        request=None,
        responses={200: MeetingOutput, **ERRORS, **FORBIDDEN},
    )
    def post(self, request: Request, meeting_id: int) -> Response:
        user = api_staff_member(request)
        meeting = selectors.meeting_get_for_user(user=user, meeting_id=meeting_id)
        return Response(MeetingOutput(_call(services.meeting_conclude, actor=user, meeting=meeting)).data)


class AttendanceApi(APIView):
    @extend_schema(
        operation_id="meeting_attendance_add",
        summary="Record an agency (and a person) at the meeting",
        request=AttendanceInput,
        responses={201: AttendanceOutput, **ERRORS, **FORBIDDEN},
    )
    def post(self, request: Request, meeting_id: int) -> Response:
        user = api_staff_member(request)
        meeting = selectors.meeting_get_for_user(user=user, meeting_id=meeting_id)
        values = _valid(AttendanceInput, request.data)
        row = _call(
            services.attendance_add,
            actor=user,
            meeting=meeting,
            agency_id=values["agency"],
            person_id=values["person"],
            name=values["name"],
            status=values["status"],
        )
        return Response(AttendanceOutput(row).data, status=status.HTTP_201_CREATED)


class AttendanceRowApi(APIView):
    @extend_schema(
        operation_id="meeting_attendance_remove",
        summary="Remove an attendance row",
        request=None,
        responses={204: None, **ERRORS, **FORBIDDEN},
    )
    def delete(self, request: Request, meeting_id: int, attendance_id: int) -> Response:
        user = api_staff_member(request)
        meeting = selectors.meeting_get_for_user(user=user, meeting_id=meeting_id)
        _call(services.attendance_remove, actor=user, meeting=meeting, attendance_id=attendance_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the agenda ------------------------------------------------------------------------------------------------------


class AgendaApi(APIView):
    @extend_schema(
        operation_id="meeting_agenda_list",
        summary="The agenda items you may see, in order",
        responses={200: AgendaItemOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, meeting_id: int) -> Response:
        detail = selectors.meeting_detail_for_user(user=api_staff_member(request), meeting_id=meeting_id)
        return Response(AgendaItemOutput(detail.items, many=True).data)

    @extend_schema(
        operation_id="meeting_agenda_add",
        summary="Put a case on the agenda (last)",
        request=AgendaAddInput,
        responses={201: AgendaItemOutput, **ERRORS, **FORBIDDEN},
    )
    def post(self, request: Request, meeting_id: int) -> Response:
        user = api_staff_member(request)
        meeting = selectors.meeting_get_for_user(user=user, meeting_id=meeting_id)
        values = _valid(AgendaAddInput, request.data)
        item = _call(
            services.agenda_add, actor=user, meeting=meeting, case_id=values["case"], hearing=values["hearing"]
        )
        view = selectors.item_view_after_change(user=user, meeting_id=meeting_id, item_id=item.pk)
        return Response(AgendaItemOutput(view).data, status=status.HTTP_201_CREATED)


class AgendaProposalsApi(APIView):
    @extend_schema(
        operation_id="meeting_agenda_proposals",
        summary="Cases the agenda builder proposes",
        description=(
            "A triage meeting: cases awaiting triage. A clinic: cases whose current risk is high and "
            "not yet heard at clinic, and cases a meeting referred to the clinic since last heard there."
        ),
        responses={200: AgendaProposalOutput(many=True), 404: ERRORS[404]},
    )
    def get(self, request: Request, meeting_id: int) -> Response:
        proposals = selectors.meeting_proposals_for_user(user=api_staff_member(request), meeting_id=meeting_id)
        return Response(AgendaProposalOutput(proposals, many=True).data)


class AgendaOrderApi(APIView):
    @extend_schema(
        operation_id="meeting_agenda_reorder",
        summary="Set the agenda's order",
        request=AgendaOrderInput,
        responses={200: AgendaItemOutput(many=True), **ERRORS, **FORBIDDEN},
    )
    def put(self, request: Request, meeting_id: int) -> Response:
        user = api_staff_member(request)
        meeting = selectors.meeting_get_for_user(user=user, meeting_id=meeting_id)
        values = _valid(AgendaOrderInput, request.data)
        _call(services.agenda_reorder, actor=user, meeting=meeting, item_ids=values["items"])
        detail = selectors.meeting_detail_after_change(user=user, meeting_id=meeting_id)
        return Response(AgendaItemOutput(detail.items, many=True).data)


class AgendaItemApi(APIView):
    @extend_schema(
        operation_id="meeting_agenda_item_retrieve",
        summary="One agenda item",
        responses={200: AgendaItemOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, meeting_id: int, item_id: int) -> Response:
        view = selectors.item_view_for_user(user=api_staff_member(request), meeting_id=meeting_id, item_id=item_id)
        return Response(AgendaItemOutput(view).data)

    @extend_schema(
        operation_id="meeting_agenda_item_update",
        summary="Hear the case in full or in brief",
        description="Send the item's `etag` as `If-Match` to be told (412) if anyone changed it since.",
        parameters=[IF_MATCH],
        request=AgendaHearingInput,
        responses={200: AgendaItemOutput, **ERRORS, **FORBIDDEN, **PRECONDITION_FAILED},
    )
    def patch(self, request: Request, meeting_id: int, item_id: int) -> Response:
        user = api_staff_member(request)
        item = selectors.agenda_item_get_for_user(user=user, meeting_id=meeting_id, item_id=item_id)
        values = _valid(AgendaHearingInput, request.data)
        updated = _call(
            services.agenda_set_hearing,
            actor=user,
            meeting=item.meeting,
            item_id=item.pk,
            hearing=values["hearing"],
            expected_version=if_match(request),
        )
        view = selectors.item_view_after_change(user=user, meeting_id=meeting_id, item_id=item_id)
        return with_etag(Response(AgendaItemOutput(view).data), version_of(updated))

    @extend_schema(
        operation_id="meeting_agenda_item_remove",
        summary="Take a case off the agenda",
        description="Refused (400) once information, a decision or actions are recorded on it.",
        request=None,
        responses={204: None, **ERRORS, **FORBIDDEN},
    )
    def delete(self, request: Request, meeting_id: int, item_id: int) -> Response:
        user = api_staff_member(request)
        item = selectors.agenda_item_get_for_user(user=user, meeting_id=meeting_id, item_id=item_id)
        _call(services.agenda_remove, actor=user, meeting=item.meeting, item_id=item.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ItemInformationApi(APIView):
    @extend_schema(
        operation_id="meeting_item_information_add",
        summary="Record what an agency brings about the case",
        description=(
            "`record_class` limits the entry to agencies the sharing agreement allows (a health entry "
            "is `clinical`); you cannot write a class your agency may not read."
        ),
        request=InformationInput,
        responses={201: InformationOutput, **ERRORS, **FORBIDDEN},
    )
    def post(self, request: Request, meeting_id: int, item_id: int) -> Response:
        user = api_staff_member(request)
        item = selectors.agenda_item_get_for_user(user=user, meeting_id=meeting_id, item_id=item_id)
        values = _valid(InformationInput, request.data)
        share = _call(
            services.information_share_record,
            actor=user,
            item=item,
            text=values["text"],
            record_class=values["record_class"],
            agency_id=values["agency"],
        )
        return Response(InformationOutput(share).data, status=status.HTTP_201_CREATED)


class ItemDecisionApi(APIView):
    @extend_schema(
        operation_id="meeting_item_decision_retrieve",
        summary="The meeting's decision on the case",
        responses={200: MeetingDecisionOutput, 404: ERRORS[404]},
    )
    def get(self, request: Request, meeting_id: int, item_id: int) -> Response:
        view = selectors.item_view_for_user(user=api_staff_member(request), meeting_id=meeting_id, item_id=item_id)
        if view.decision is None:
            return Response({"detail": "No decision recorded"}, status=status.HTTP_404_NOT_FOUND)
        return Response(MeetingDecisionOutput(view.decision).data)

    @extend_schema(
        operation_id="meeting_item_decision_record",
        summary="Record the meeting's decision (and the actions agreed) in one transaction",
        description=(
            "`accepted` or `declined` moves the case through its lifecycle (a referred case is put "
            "forward for triage first); `reviewed` is for a case already taken on; `deferred` leaves it "
            "for a later meeting. Accepting needs a tier; declining a `decline_reason` and a `reason`. "
            "If anything fails (an action whose owner cannot see the case, say) nothing is recorded "
            "and the case is as it was."
        ),
        request=MeetingDecisionInput,
        responses={201: AgendaItemOutput, **ERRORS, **FORBIDDEN},
    )
    def post(self, request: Request, meeting_id: int, item_id: int) -> Response:
        user = api_staff_member(request)
        item = selectors.agenda_item_get_for_user(user=user, meeting_id=meeting_id, item_id=item_id)
        values = _valid(MeetingDecisionInput, request.data)
        actions = [_action_input(a) for a in values.pop("actions")]
        _call(
            services.decision_record,
            actor=user,
            item=item,
            data=services.DecisionInput(**values),
            actions=actions,
        )
        # The service logged its change of the case: the answer adds no view of it.
        view = selectors.item_view_after_change(user=user, meeting_id=meeting_id, item_id=item_id)
        return Response(AgendaItemOutput(view).data, status=status.HTTP_201_CREATED)


class ItemActionsApi(APIView):
    @extend_schema(
        operation_id="meeting_item_action_add",
        summary="Record an action agreed on the case",
        request=MeetingActionInput,
        responses={201: MeetingActionOutput, **ERRORS, **FORBIDDEN},
    )
    def post(self, request: Request, meeting_id: int, item_id: int) -> Response:
        user = api_staff_member(request)
        item = selectors.agenda_item_get_for_user(user=user, meeting_id=meeting_id, item_id=item_id)
        values = _valid(MeetingActionInput, request.data)
        action = _call(services.action_create, actor=user, item=item, data=_action_input(values))
        return Response(MeetingActionOutput(action).data, status=status.HTTP_201_CREATED)


# --- actions ----------------------------------------------------------------------------------------------------------


class ActionListApi(APIView):
    @extend_schema(
        operation_id="actions_list",
        summary="Your actions, or your agency's",
        description=(
            "Open actions soonest due first (`overdue` marks those past their date), or closed ones latest first."
        ),
        parameters=[ActionListQuery],
        responses={200: MeetingActionPageOutput, 400: ERRORS[400]},
    )
    def get(self, request: Request) -> Response:
        user = api_staff_member(request)
        query = _valid(ActionListQuery, request.query_params)
        scope = selectors.ActionScope.AGENCY if query["scope"] == "agency" else selectors.ActionScope.MINE
        state = "closed" if query["status"] == "closed" else ActionStatus.OPEN
        page = selectors.action_list_for_user(user=user, scope=scope, status=state, page=min(query["page"], MAX_PAGE))
        actions = [row.action for row in page.rows]
        data = {"actions": actions, "next_page": page.page + 1 if page.has_more else None}
        return Response(MeetingActionPageOutput(data).data)


class ActionDetailApi(APIView):
    @extend_schema(
        operation_id="action_retrieve", summary="One action", responses={200: MeetingActionOutput, 404: ERRORS[404]}
    )
    def get(self, request: Request, action_id: int) -> Response:
        action = selectors.action_detail_for_user(user=api_staff_member(request), action_id=action_id)
        return Response(MeetingActionOutput(action).data)

    @extend_schema(
        operation_id="action_update",
        summary="Mark an action done or cancelled, or give it a new due date",
        description=(
            "Cancelling needs a `note` with the reason. The owner, their agency or a triage officer may do this."
        ),
        request=MeetingActionUpdateInput,
        responses={200: MeetingActionOutput, **ERRORS, 403: OpenApiResponse(description="Not yours to change")},
    )
    def patch(self, request: Request, action_id: int) -> Response:
        user = api_staff_member(request)
        action = selectors.action_get_for_user(user=user, action_id=action_id)
        values = _valid(MeetingActionUpdateInput, request.data)
        if values.get("due_on") is not None:
            action = _call(services.action_reschedule, actor=user, action=action, due_on=values["due_on"])
        if values.get("status") == ActionStatus.DONE:
            action = _call(services.action_complete, actor=user, action=action, note=values["note"])
        elif values.get("status") == ActionStatus.CANCELLED:
            action = _call(services.action_cancel, actor=user, action=action, reason=values["note"])
        return Response(MeetingActionOutput(selectors.action_get_for_user(user=user, action_id=action.pk)).data)


# --- the watch list --------------------------------------------------------------------------------------------


class WatchCaseOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()


class WatchOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    case = WatchCaseOutput()
    review_on = serializers.DateField()
    reason = serializers.CharField()
    started_by = StaffRefOutput()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField()


class WatchListRowOutput(serializers.Serializer[Any]):
    """selectors.WatchRow: an open watch on a case the reader can see."""

    watch = WatchOutput()
    due = serializers.BooleanField(help_text="The review date has come")
    new_referral_at = serializers.DateTimeField(
        allow_null=True, help_text="A referral naming the same perpetrator since the watch began"
    )


class WatchStartInput(serializers.Serializer[Any]):
    review_on = serializers.DateField(help_text="When the triage meeting hears the case again; within a year")
    # Blank passes through to the service, so a blank reason and a bad date are reported together.
    reason = serializers.CharField(max_length=services.MAX_TEXT, allow_blank=True)


class WatchEndInput(serializers.Serializer[Any]):
    end_reason = serializers.CharField(max_length=services.MAX_TEXT, allow_blank=True)


NOT_WATCHER = {404: OpenApiResponse(description="No such case, outside your scope, or your role does not watch cases")}


class WatchListApi(APIView):
    @extend_schema(
        operation_id="watch_list",
        summary="Open watches on declined domestic-abuse cases you can see, the soonest review first",
        description="Triage roles only (as the watch-list page); others get 404.",
        responses={200: WatchListRowOutput(many=True), **NOT_WATCHER},
    )
    def get(self, request: Request) -> Response:
        rows = selectors.watch_list_for_user(user=api_staff_member(request))
        return Response(WatchListRowOutput(rows, many=True).data)


class CaseWatchApi(APIView):
    @extend_schema(
        operation_id="case_watch_retrieve",
        summary="The case's open watch",
        description="404 when the case is not watched, outside your scope, or your role does not watch cases.",
        responses={200: WatchOutput, **NOT_WATCHER},
    )
    def get(self, request: Request, case_id: int) -> Response:
        found = selectors.case_watch_for_watcher(user=api_staff_member(request), case_id=case_id)
        if found.watch is None:
            raise Http404
        return Response(WatchOutput(found.watch).data)

    @extend_schema(
        operation_id="case_watch_create",
        summary="Put a declined domestic-abuse case on the watch list",
        description="The same service and rules as the page: declined, ex-partners or family, not already watched.",
        request=WatchStartInput,
        responses={201: WatchOutput, 400: ERRORS[400], **NOT_WATCHER},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        found = selectors.case_watch_for_watcher(user=user, case_id=case_id, log=False)
        values = _valid(WatchStartInput, request.data)
        watch = _call(services.watch_start, actor=user, case=found.case, **values)
        watch.case = found.case
        return Response(WatchOutput(watch).data, status=status.HTTP_201_CREATED)


class CaseWatchEndApi(APIView):
    @extend_schema(
        operation_id="case_watch_end",
        summary="Take the case off the watch list, with the reason",
        request=WatchEndInput,
        responses={200: WatchOutput, 400: ERRORS[400], **NOT_WATCHER},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = api_staff_member(request)
        found = selectors.case_watch_for_watcher(user=user, case_id=case_id, log=False)
        if found.watch is None:
            raise Http404
        values = _valid(WatchEndInput, request.data)
        watch = _call(services.watch_end, actor=user, watch=found.watch, reason=values["end_reason"])
        watch.case = found.case
        return Response(WatchOutput(watch).data)
