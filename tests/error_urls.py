"""The service's URLs plus views that fail on purpose, for tests/test_error_pages.py only."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from masip.urls import handler400, handler403, handler404, handler500
from masip.urls import urlpatterns as service_urlpatterns


def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a fault in a view")


def _refuses(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("refused")


__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [
    path("test-fails/", _fails),
    path("test-refuses/", _refuses),
    *service_urlpatterns,
]
