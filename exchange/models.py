"""What the data bundle pages keep: one row per import or export, for the partnership's history.

The import job's own state lives in Redis for a day (exchange.services); the access log
holds the cases each transfer touched. Neither answers "who imported what, when, and did
it work" a month later, so each finished import and each export leaves a row here: who,
when, how many rows of each file, and the outcome. Counts only: never a bundle's content.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now


class TransferKind(models.TextChoices):
    IMPORT = "import", "Import"
    CHECK = "check", "Check only (nothing imported)"
    FULL_EXPORT = "full", "Full export, with names"
    EVALUATION_EXPORT = "evaluation", "Export for an evaluator, with consented names"
    PSEUDONYMISED_EXPORT = "pseudonymised", "Pseudonymised export"


class TransferOutcome(models.TextChoices):
    DONE = "done", "Done"
    REJECTED = "rejected", "Rejected: the bundle has errors, nothing imported"
    FAILED = "failed", "Stopped with an unexpected error, nothing imported"


class BundleTransfer(models.Model):
    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="+")
    # Null: a command run as a system job, with no member of staff named.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    kind = models.CharField(max_length=15, choices=TransferKind.choices)
    outcome = models.CharField(max_length=10, choices=TransferOutcome.choices)
    at = models.DateTimeField(db_default=Now())
    # The uploaded file's name, or where an export went ("download", a command's path).
    source = models.CharField(max_length=255, blank=True)
    # Rows of each file: written by an export, added by an import.
    rows = models.JSONField(default=dict)
    # Rows an import found already held (not written again).
    already_held = models.JSONField(default=dict)
    error_count = models.PositiveIntegerField(default=0)
    # The reason given for an identifiable export (also in the access log's purpose).
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["partnership", "-at"], name="bundletransfer_partnership_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    @property
    def is_export(self) -> bool:
        return self.kind in (
            TransferKind.FULL_EXPORT,
            TransferKind.EVALUATION_EXPORT,
            TransferKind.PSEUDONYMISED_EXPORT,
        )

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())
