"""API routes of the triage app, under /api/v1/."""

from django.urls import path

from triage import apis

urlpatterns = [
    path("meetings/", apis.MeetingListApi.as_view(), name="api-meeting-list"),
    path("meetings/<int:meeting_id>/", apis.MeetingDetailApi.as_view(), name="api-meeting-detail"),
    path("meetings/<int:meeting_id>/start/", apis.MeetingStartApi.as_view(), name="api-meeting-start"),
    path("meetings/<int:meeting_id>/conclude/", apis.MeetingConcludeApi.as_view(), name="api-meeting-conclude"),
    path("meetings/<int:meeting_id>/attendance/", apis.AttendanceApi.as_view(), name="api-meeting-attendance"),
    path(
        "meetings/<int:meeting_id>/attendance/<int:attendance_id>/",
        apis.AttendanceRowApi.as_view(),
        name="api-meeting-attendance-row",
    ),
    path("meetings/<int:meeting_id>/agenda/", apis.AgendaApi.as_view(), name="api-meeting-agenda"),
    path(
        "meetings/<int:meeting_id>/agenda/proposals/",
        apis.AgendaProposalsApi.as_view(),
        name="api-meeting-agenda-proposals",
    ),
    path("meetings/<int:meeting_id>/agenda/order/", apis.AgendaOrderApi.as_view(), name="api-meeting-agenda-order"),
    path(
        "meetings/<int:meeting_id>/agenda/<int:item_id>/", apis.AgendaItemApi.as_view(), name="api-meeting-agenda-item"
    ),
    path(
        "meetings/<int:meeting_id>/agenda/<int:item_id>/information/",
        apis.ItemInformationApi.as_view(),
        name="api-meeting-item-information",
    ),
    path(
        "meetings/<int:meeting_id>/agenda/<int:item_id>/decision/",
        apis.ItemDecisionApi.as_view(),
        name="api-meeting-item-decision",
    ),
    path(
        "meetings/<int:meeting_id>/agenda/<int:item_id>/actions/",
        apis.ItemActionsApi.as_view(),
        name="api-meeting-item-actions",
    ),
    path("actions/", apis.ActionListApi.as_view(), name="api-action-list"),
    path("watch-list/", apis.WatchListApi.as_view(), name="api-watch-list"),
    path("cases/<int:case_id>/watch/", apis.CaseWatchApi.as_view(), name="api-case-watch"),
    path("cases/<int:case_id>/watch/end/", apis.CaseWatchEndApi.as_view(), name="api-case-watch-end"),
    path("actions/<int:action_id>/", apis.ActionDetailApi.as_view(), name="api-action-detail"),
]
