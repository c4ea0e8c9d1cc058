"""The costs API under /api/v1/costs/ (docs/costs.md). Thin: the same selectors and
services as the pages. Money is a string with two decimals ("7182.54"), never a float."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import Agency, User
from agencies.staff import api_staff_member
from costs import activities, selectors, services
from costs.calculation import Line, ScenarioFigures
from costs.models import Bearer, Category, ScenarioKind
from masip.api import call_service, validated


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _line(line: Line) -> dict[str, Any]:
    return {
        "category": line.category,
        "bearer": line.bearer,
        "kind": line.kind,
        "label": line.label,
        "role": line.role or None,
        "hours": None if line.hours is None else str(line.hours),
        "hourly_rate": None if line.hourly_rate is None else str(line.hourly_rate),
        "quantity": None if line.quantity is None else str(line.quantity),
        "amount": _money(line.amount),
    }


def _scenario(s: ScenarioFigures, *, withheld: bool) -> dict[str, Any]:
    return {
        "kind": s.kind,
        "narrative": s.narrative,
        "items": [_line(i) for i in s.items],
        "state": _money(s.state),
        "victim": None if withheld else _money(s.victim),
        "not_split": None if withheld else _money(s.society),
        "total": None if withheld else _money(s.total),
        "state_ratio": None if s.state_ratio is None else str(s.state_ratio),
        "victim_ratio": None if s.victim_ratio is None else str(s.victim_ratio),
        "total_ratio": None if s.total_ratio is None else str(s.total_ratio),
    }


def account_json(view: selectors.AccountView) -> dict[str, Any]:
    return {
        "case": view.case.pk,
        "reference": view.case.reference,
        "status": view.account.status,
        "rate_card": {
            "financial_year": view.account.rate_card.financial_year,
            "price_year": view.account.rate_card.price_year,
        },
        "finished_at": view.account.finished_at,
        "what_happened": [
            {
                "category": r.key,
                "label": r.label,
                "bearer": r.bearer,
                "amount": _money(r.amount),
                "lines": [_line(x) for x in r.lines],
            }
            for r in view.rows
        ],
        "total_state": _money(view.state),
        "total_victim": _money(view.victim),
        "total": _money(view.total),
        "scenarios": [_scenario(s, withheld=view.victim_withheld) for s in view.scenarios],
        "withheld": ["victim_identity"] if view.victim_withheld else [],
        "missing_rates": view.missing_rates,
    }


class LineInput(serializers.Serializer[Any]):
    category = serializers.ChoiceField(choices=Category.choices)
    bearer = serializers.ChoiceField(choices=[Bearer.STATE, Bearer.VICTIM])
    label = serializers.CharField(  # type: ignore[assignment]  # a field named like Field.label
        required=False, allow_blank=True, max_length=200
    )
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, min_value=Decimal("0"))
    unit_cost = serializers.IntegerField(required=False)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=4, required=False)


class ScenarioItemInput(serializers.Serializer[Any]):
    scenario = serializers.ChoiceField(choices=ScenarioKind.choices)
    unit_cost = serializers.IntegerField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=4, default=Decimal(1))
    bearer = serializers.ChoiceField(choices=Bearer.choices, required=False)


class TimeEntryInput(serializers.Serializer[Any]):
    activity = serializers.CharField(max_length=40, help_text="advocacy.contact, triage.agendaitem, … or case")
    activity_id = serializers.IntegerField(help_text="The record's id (the case's id for activity 'case')")
    kind = serializers.CharField(max_length=30)
    minutes = serializers.IntegerField(min_value=1, max_value=1440)
    role = serializers.CharField(required=False, allow_blank=True, max_length=60)
    agency = serializers.IntegerField(required=False)


class PeriodInput(serializers.Serializer[Any]):
    date_from = serializers.DateField()
    date_to = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": ["The end of the period must be on or after its start"]})
        return attrs


def _user(request: Request) -> User:
    return api_staff_member(request)


class AccountApi(APIView):
    @extend_schema(operation_id="costs_account", summary="A case's cost account", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, case_id: int) -> Response:
        return Response(account_json(selectors.cost_account_view_for_user(user=_user(request), case_id=case_id)))

    @extend_schema(
        operation_id="costs_account_open",
        summary="Open a case's cost account",
        request=None,
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = _user(request)
        case = selectors.case_for_cost_account(user=user, case_id=case_id)
        call_service(services.cost_account_open, actor=user, case=case)
        return Response(account_json(selectors.cost_account_view_for_user(user=user, case_id=case_id)), status=201)


class AccountLineApi(APIView):
    @extend_schema(operation_id="costs_account_line_add", request=LineInput, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, case_id: int) -> Response:
        user = _user(request)
        account = selectors.cost_account_get_for_user(user=user, case_id=case_id)
        data = validated(LineInput, request.data)
        call_service(
            services.cost_line_add,
            actor=user,
            account=account,
            category=data["category"],
            bearer=data["bearer"],
            label=data.get("label", ""),
            amount=data.get("amount"),
            unit_cost_id=data.get("unit_cost"),
            quantity=data.get("quantity"),
        )
        return Response(account_json(selectors.cost_account_view_for_user(user=user, case_id=case_id)), status=201)


class ScenarioItemApi(APIView):
    @extend_schema(
        operation_id="costs_scenario_item_add", request=ScenarioItemInput, responses={201: OpenApiTypes.OBJECT}
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = _user(request)
        account = selectors.cost_account_get_for_user(user=user, case_id=case_id)
        data = validated(ScenarioItemInput, request.data)
        call_service(
            services.scenario_item_add,
            actor=user,
            account=account,
            scenario_kind=data["scenario"],
            unit_cost_id=data["unit_cost"],
            quantity=data["quantity"],
            bearer=data.get("bearer", ""),
        )
        return Response(account_json(selectors.cost_account_view_for_user(user=user, case_id=case_id)), status=201)


class AccountFinishApi(APIView):
    @extend_schema(operation_id="costs_account_finish", request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request, case_id: int) -> Response:
        user = _user(request)
        account = selectors.cost_account_get_for_user(user=user, case_id=case_id)
        call_service(services.cost_account_finish, actor=user, account=account)
        return Response(account_json(selectors.cost_account_view_for_user(user=user, case_id=case_id)))


class TimeEntryApi(APIView):
    @extend_schema(operation_id="costs_time_entry_record", request=TimeEntryInput, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        user = _user(request)
        data = validated(TimeEntryInput, request.data)
        if data["activity"] == "case":
            case = selectors.case_for_time(user=user, case_id=data["activity_id"])
            activity = activities.case_activity(case_id=case.pk, partnership_id=case.partnership_id, on=dt.date.today())
        else:
            found = activities.activity_resolve(source=data["activity"], activity_id=data["activity_id"])
            if found is None:
                raise NotFound
            activity = found
        selectors.activity_case_for_user(user=user, activity=activity)
        agency = None
        if data.get("agency") is not None:
            agency = Agency.objects.filter(pk=data["agency"], partnership_id=activity.partnership_id).first()
            if agency is None:
                raise serializers.ValidationError({"agency": ["Choose an agency of this partnership"]})
        role = data.get("role") or ""
        entry = call_service(
            services.time_entry_record,
            actor=user,
            activity=activity,
            kind=data["kind"],
            minutes=data["minutes"],
            role=role,
            agency=agency,
            for_someone_else=bool(role),
        )
        return Response(
            {
                "id": entry.pk,
                "case": entry.case_id,
                "kind": entry.activity_kind,
                "minutes": entry.minutes,
                "role": entry.role,
            },
            status=201,
        )


class ProgrammeApi(APIView):
    @extend_schema(operation_id="costs_programme", parameters=[PeriodInput], responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        user = _user(request)
        selectors._require_programme_user(user)
        data = validated(PeriodInput, request.query_params)
        f = selectors.programme_figures_for_user(user=user, date_from=data["date_from"], date_to=data["date_to"])
        return Response(
            {
                "date_from": f.date_from,
                "date_to": f.date_to,
                "staff_cost": _money(f.staff_cost),
                "infrastructure": _money(f.infrastructure),
                "total_cost": _money(f.total_cost),
                "cases_worked": f.cases_worked,
                "cost_per_case": _money(f.cost_per_case),
                "outcomes_six_months_without_reoffending": f.outcomes,
                "cost_per_outcome": _money(f.cost_per_outcome),
                "caseload": f.caseload,
                "fte": _money(f.fte),
                "caseload_per_fte": None if f.caseload_per_fte is None else str(f.caseload_per_fte),
                "by_agency": [
                    {"agency": a.agency, "hours": str(a.hours), "cost": _money(a.cost), "fte": _money(a.fte)}
                    for a in f.by_agency
                ],
                "roles_without_rate": f.roles_without_rate,
            }
        )
