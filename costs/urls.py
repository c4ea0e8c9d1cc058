"""Pages of the costs app, mounted at /costs/ (masip/urls.py)."""

from django.urls import path

from costs import views

app_name = "costs"
urlpatterns = [
    path("", views.home, name="home"),
    path("cases/<int:case_id>/", views.account, name="account"),
    path("cases/<int:case_id>/account.pdf", views.account_pdf, name="account_pdf"),
    path("cases/<int:case_id>/lines/", views.line_add, name="line_add"),
    path("cases/<int:case_id>/lines/<int:line_id>/remove/", views.line_remove, name="line_remove"),
    path("cases/<int:case_id>/scenario-items/", views.item_add, name="item_add"),
    path("cases/<int:case_id>/scenario-items/<int:item_id>/remove/", views.item_remove, name="item_remove"),
    path("cases/<int:case_id>/narrative/", views.narrative, name="narrative"),
    path("cases/<int:case_id>/finish/", views.finish, name="finish"),
    path("rates/", views.rates, name="rates"),
    path("rates/<int:rate_card_id>/", views.rate_card, name="rate_card"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("programme/", views.programme, name="programme"),
    path("fte/", views.fte, name="fte"),
    path("time/<str:source>/<int:activity_id>/", views.time_entry, name="time_entry"),
    path("time/entries/<int:entry_id>/delete/", views.time_entry_delete, name="time_entry_delete"),
]
