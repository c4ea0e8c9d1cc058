from django.urls import path

from cases import views

app_name = "cases"
urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("new/", views.referral_new, name="referral_new"),
    path("search/", views.search, name="search"),
    path("new/candidates/<str:role>/", views.referral_candidates, name="referral_candidates"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("<int:case_id>/", views.case_detail, name="case_detail"),
    path("<int:case_id>/status/<slug:target>/", views.case_transition, name="case_transition"),
    path("<int:case_id>/notes/", views.note_add, name="note_add"),
    path("<int:case_id>/orders/new/", views.order_add, name="order_add"),
    path("<int:case_id>/orders/<int:order_id>/breaches/new/", views.breach_add, name="breach_add"),
    path("<int:case_id>/outcomes/new/", views.outcome_add, name="outcome_add"),
    path("<int:case_id>/evaluation-factors/", views.evaluation_factors, name="evaluation_factors"),
    path("<int:case_id>/worker/", views.assign_worker, name="assign_worker"),
    path("<int:case_id>/sharing/", views.case_sharing, name="case_sharing"),
]

# Mounted at /people/ (masip/urls.py) under the "people" namespace.
people_urlpatterns = (
    [
        path("<int:person_id>/", views.person_detail, name="person_detail"),
        path("<int:person_id>/edit/", views.person_edit, name="person_edit"),
        path("<int:person_id>/merge/", views.person_merge, name="person_merge"),
    ],
    "people",
)
