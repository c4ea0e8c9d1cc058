"""Staff API for partnership admins: the same selectors and services as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies import selectors, services
from agencies.models import Agency, Role, User
from agencies.staff import api_staff_member


class StaffOutput(serializers.ModelSerializer[User]):
    agency: serializers.PrimaryKeyRelatedField[Agency] = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "job_title", "agency", "role", "is_active"]


class StaffInviteInput(serializers.Serializer[Any]):
    email = serializers.EmailField()
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    job_title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    agency = serializers.IntegerField()
    role = serializers.ChoiceField(choices=Role.choices)


class StaffListApi(APIView):
    @extend_schema(responses=StaffOutput(many=True), summary="Staff of your partnership (partnership admins)")
    def get(self, request: Request) -> Response:
        staff = selectors.staff_all_for_admin(actor=api_staff_member(request))
        return Response(StaffOutput(staff, many=True).data)

    @extend_schema(request=StaffInviteInput, responses={201: StaffOutput}, summary="Invite a member of staff")
    def post(self, request: Request) -> Response:
        actor = api_staff_member(request)
        selectors.staff_list_for_admin(actor=actor)  # 404 unless admin
        assert actor.agency is not None  # an admin is staff of an agency
        data = StaffInviteInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        agency = (
            selectors.agencies_of_partnership(partnership_id=actor.agency.partnership_id)
            .filter(pk=values.pop("agency"))
            .first()
        )
        if agency is None:
            return Response({"agency": ["Choose an agency of your partnership"]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            user = services.staff_invite(actor=actor, request=request._request, agency=agency, **values)
        except DjangoValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response(StaffOutput(user).data, status=status.HTTP_201_CREATED)


class StaffDetailApi(APIView):
    @extend_schema(responses=StaffOutput, summary="One member of staff of your partnership")
    def get(self, request: Request, user_id: int) -> Response:
        member = selectors.staff_read_for_admin(actor=api_staff_member(request), user_id=user_id)
        return Response(StaffOutput(member).data)
