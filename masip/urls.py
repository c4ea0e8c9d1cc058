from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from masip import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("partnership/", include("agencies.urls")),
    path("access-log/", include("audit.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("masip.api_urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
