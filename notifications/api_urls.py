"""API routes of the notifications app, under /api/v1/."""

from django.urls import path

from notifications import apis

urlpatterns = [
    path("notifications/", apis.NotificationsApi.as_view(), name="api-notifications"),
    path("notifications/read/", apis.NotificationsReadAllApi.as_view(), name="api-notifications-read-all"),
    path("notifications/<int:notification_id>/read/", apis.NotificationReadApi.as_view(), name="api-notification-read"),
]
