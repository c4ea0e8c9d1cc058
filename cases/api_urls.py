from django.urls import path

from cases import apis

urlpatterns = [
    path("cases/", apis.CaseListApi.as_view(), name="api-case-list"),
    path("cases/search/", apis.CaseSearchApi.as_view(), name="api-case-search"),
    path("cases/<int:case_id>/", apis.CaseDetailApi.as_view(), name="api-case-detail"),
    path("cases/<int:case_id>/transitions/", apis.CaseTransitionApi.as_view(), name="api-case-transitions"),
    path("cases/<int:case_id>/shares/", apis.CaseSharesApi.as_view(), name="api-case-shares"),
    path("cases/<int:case_id>/break-glass/", apis.BreakGlassApi.as_view(), name="api-case-break-glass"),
    path("cases/<int:case_id>/notes/", apis.CaseNotesApi.as_view(), name="api-case-notes"),
    path("cases/<int:case_id>/orders/", apis.CaseOrdersApi.as_view(), name="api-case-orders"),
    path(
        "cases/<int:case_id>/orders/<int:order_id>/breaches/",
        apis.OrderBreachesApi.as_view(),
        name="api-case-order-breaches",
    ),
    path("cases/<int:case_id>/outcomes/", apis.CaseOutcomesApi.as_view(), name="api-case-outcomes"),
    path("cases/<int:case_id>/assignment/", apis.CaseAssignmentApi.as_view(), name="api-case-assignment"),
    path("referrals/", apis.ReferralCreateApi.as_view(), name="api-referral-create"),
    path("people/match/", apis.PersonMatchApi.as_view(), name="api-people-match"),
    path("people/<int:person_id>/", apis.PersonDetailApi.as_view(), name="api-person-detail"),
    path("people/<int:person_id>/merge/", apis.PersonMergeApi.as_view(), name="api-person-merge"),
]
