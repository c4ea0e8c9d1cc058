"""Documents kept on a case: evidence, letters, orders, reports (docs/documents.md).

The file itself lives in the ``documents`` storage (``settings.STORAGES``: the file system
under ./var/ or private S3-compatible object storage), under a random name that carries
no personal data; this row holds what the service knows about it. A document carries
every record class it belongs to (``record_classes``): a reader must be granted all of
them by the agreement, and the victim classes are asked of the person it is about, as
everywhere else (``documents.permissions``).
"""

from __future__ import annotations

import uuid
from typing import Any

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.files.storage import Storage, storages
from django.db import models


class DocumentKind(models.TextChoices):
    EVIDENCE_LOG = "evidence_log", "Evidence log"
    SCREENSHOT = "screenshot", "Screenshot"
    LETTER = "letter", "Letter"
    COURT_ORDER = "court_order", "Court order"
    RISK_REPORT = "risk_report", "Risk report"
    OTHER = "other", "Other"


def document_storage() -> Storage:
    return storages["documents"]


def document_path(instance: Any, filename: str) -> str:
    # A random name: the uploaded name may itself be personal data ("Jane Smith bail.pdf"),
    # and it is kept in the row, never in the storage's key or a URL.
    return f"{instance.case.partnership_id}/{uuid.uuid4().hex}"


@pghistory.track()
class Document(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="documents")
    # The party of the case the document is about (a victim's evidence log, a letter for her).
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    dated_on = models.DateField()
    record_classes = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    file = models.FileField(storage=document_storage, upload_to=document_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # The letter template a generated letter was filled from ("" for uploads).
    letter_template = models.CharField(max_length=40, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-dated_on", "-id"]
        indexes = [models.Index(fields=["case", "-dated_on", "-id"], name="document_case_dated")]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gte=0), name="document_size_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Document {self.pk} on case {self.case_id}"
