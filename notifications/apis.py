"""The notifications API under /api/v1/notifications/: the user's own inbox, as on the page."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.staff import api_staff_member
from notifications import selectors, services


class NotificationOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    body = serializers.CharField()
    link = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class InboxOutput(serializers.Serializer[Any]):
    unread = serializers.IntegerField()
    has_more = serializers.BooleanField()
    results = NotificationOutput(many=True, source="notifications")


class NotificationsApi(APIView):
    @extend_schema(
        operation_id="notifications_list",
        summary="Your notifications, newest first (the latest 50)",
        responses={200: InboxOutput},
    )
    def get(self, request: Request) -> Response:
        return Response(InboxOutput(selectors.inbox_for_user(user=api_staff_member(request))).data)


class NotificationReadApi(APIView):
    @extend_schema(
        operation_id="notification_read",
        summary="Mark one of your notifications as read",
        request=None,
        responses={200: NotificationOutput, 404: OpenApiResponse(description="No such notification of yours")},
    )
    def post(self, request: Request, notification_id: int) -> Response:
        notification = services.notification_mark_read(user=api_staff_member(request), notification_id=notification_id)
        return Response(NotificationOutput(notification).data)


class NotificationsReadAllApi(APIView):
    @extend_schema(
        operation_id="notifications_read_all",
        summary="Mark all your notifications as read",
        request=None,
        responses={200: OpenApiResponse(description='`{"marked": n}`')},
    )
    def post(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_all_read(user=api_staff_member(request))})
