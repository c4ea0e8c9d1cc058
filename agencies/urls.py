from django.urls import path

from agencies import views

app_name = "agencies"
urlpatterns = [
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/invite/", views.staff_invite, name="staff_invite"),
    path("staff/<int:user_id>/", views.staff_edit, name="staff_edit"),
    path("agreement/", views.agreement, name="agreement"),
    path("settings/", views.partnership_settings, name="partnership_settings"),
    path("access-log/", views.access_log, name="access_log"),
    path("access-log/export.csv", views.access_log_export, name="access_log_export"),
]
