from django.urls import path

from agencies import apis

urlpatterns = [
    path("staff/", apis.StaffListApi.as_view(), name="api-staff-list"),
    path("staff/<int:user_id>/", apis.StaffDetailApi.as_view(), name="api-staff-detail"),
]
