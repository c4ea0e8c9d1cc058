"""Process-wide caches that tests must not carry from one test to the next."""

from __future__ import annotations


def clear_process_caches() -> None:
    """A transactional test flushes auth_permission and recreates it with new ids;
    the process-wide cache of cases.view_case's id must not outlive that. Module-scoped
    fixtures that build data call this first: they run before the root conftest's autouse fixture."""
    from django.contrib.contenttypes.models import ContentType

    from cases.permissions import view_case_permission_id

    view_case_permission_id.cache_clear()
    ContentType.objects.clear_cache()
