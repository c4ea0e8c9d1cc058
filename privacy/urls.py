from django.urls import path

from privacy import views

app_name = "privacy"
urlpatterns = [
    path("retention/", views.schedules, name="schedules"),
    path("retention/<int:schedule_id>/stop/", views.schedule_retire, name="schedule_retire"),
    path("retention/batches/", views.batches, name="batches"),
    path("retention/batches/<int:batch_id>/", views.batch, name="batch"),
    path("retention/holds/", views.holds, name="holds"),
    path("retention/holds/<int:hold_id>/lift/", views.hold_lift, name="hold_lift"),
    path("requests/", views.requests, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:sar_id>/", views.request_detail, name="request"),
    path("requests/<int:sar_id>/disclosure.pdf", views.request_download, {"output": "pdf"}, name="request_pdf"),
    path("requests/<int:sar_id>/disclosure.json", views.request_download, {"output": "json"}, name="request_json"),
]
