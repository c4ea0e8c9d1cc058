"""``flush``, which the test runner calls between transactional tests, with the access log.

The access log refuses TRUNCATE (``audit.models.AccessLog``), and ``flush`` truncates every
table. Only where ``MASIP_FLUSH_EMPTIES_ACCESS_LOG`` is on (the test settings) is that
trigger set aside for the flush; anywhere else ``flush`` fails rather than erase the log.
"""

from __future__ import annotations

from typing import Any

import pgtrigger
from django.conf import settings
from django.core.management.commands import flush


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        if settings.MASIP_FLUSH_EMPTIES_ACCESS_LOG:
            with pgtrigger.ignore("audit.AccessLog:append_only_truncate"):
                super().handle(**options)
            return
        super().handle(**options)
