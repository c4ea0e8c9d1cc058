"""Pages of the triage app, mounted at /triage/ by masip/urls.py."""

from django.urls import path

from triage import views

app_name = "triage"
urlpatterns = [
    path("", views.meetings, name="meetings"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:meeting_id>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:meeting_id>/agenda/", views.agenda_add, name="agenda_add"),
    path("meetings/<int:meeting_id>/agenda/<int:item_id>/move/", views.agenda_item_move, name="agenda_item_move"),
    path(
        "meetings/<int:meeting_id>/agenda/<int:item_id>/hearing/", views.agenda_item_hearing, name="agenda_item_hearing"
    ),
    path("meetings/<int:meeting_id>/agenda/<int:item_id>/remove/", views.agenda_item_remove, name="agenda_item_remove"),
    path("meetings/<int:meeting_id>/attendance/", views.attendance_add, name="attendance_add"),
    path(
        "meetings/<int:meeting_id>/attendance/<int:attendance_id>/remove/",
        views.attendance_remove,
        name="attendance_remove",
    ),
    path("meetings/<int:meeting_id>/run/", views.meeting_run, name="meeting_run"),
    path("meetings/<int:meeting_id>/start/", views.meeting_start, name="meeting_start"),
    path("meetings/<int:meeting_id>/conclude/", views.meeting_conclude, name="meeting_conclude"),
    path("meetings/<int:meeting_id>/items/<int:item_id>/information/", views.share_add, name="share_add"),
    path("meetings/<int:meeting_id>/items/<int:item_id>/decision/", views.decision_add, name="decision_add"),
    path("meetings/<int:meeting_id>/items/<int:item_id>/actions/", views.action_add, name="action_add"),
    path("meetings/<int:meeting_id>/minutes/", views.minutes, name="minutes"),
    path("meetings/<int:meeting_id>/minutes.pdf", views.minutes_pdf, name="minutes_pdf"),
    path("actions/", views.my_actions, name="my_actions"),
    path("actions/agency/", views.agency_actions, name="agency_actions"),
    path("actions/<int:action_id>/", views.action_detail, name="action_detail"),
    path("cases/<int:case_id>/", views.case_meetings, name="case_meetings"),
    path("cases/<int:case_id>/watch/", views.case_watch, name="case_watch"),
    path("cases/<int:case_id>/watch/end/", views.case_watch_end, name="case_watch_end"),
    path("watch-list/", views.watch_list, name="watch_list"),
]
