"""A victim's consent, given or refused, and its withdrawal (docs/consent.md).

Three purposes: sharing her information between the partnership's agencies (where the
agreement's basis for it is her consent), being contacted by the service, and taking part
in the evaluation's research. Each record says when, how and to whom it was given; a
withdrawal is written onto the record it ends, so the history of a person's consent is
the list of her records, newest first, and the current answer is the newest one.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models


class Purpose(models.TextChoices):
    SHARING = "sharing", "Sharing her information between the agencies"
    CONTACT = "contact", "Being contacted by the service"
    RESEARCH = "research", "Taking part in evaluation research"


class Method(models.TextChoices):
    IN_PERSON = "in_person", "In person, spoken"
    PHONE = "phone", "By phone"
    SIGNED = "signed", "Signed form"
    EMAIL = "email", "By e-mail"
    ONLINE = "online", "Online form"


@pghistory.track()
class Consent(models.Model):
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="consents")
    # The case it was recorded on: whose readers may see it, and where it shows at a glance.
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    given = models.BooleanField(help_text="False: she was asked and said no")
    given_on = models.DateField()
    method = models.CharField(max_length=10, choices=Method.choices)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawal_method = models.CharField(max_length=10, choices=Method.choices, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-given_on", "-id"]
        indexes = [models.Index(fields=["person", "purpose", "-given_on", "-id"], name="consent_person_purpose")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(withdrawn_on__isnull=True) | models.Q(given=True),
                name="consent_only_given_is_withdrawn",
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_on__isnull=True) | models.Q(withdrawn_on__gte=models.F("given_on")),
                name="consent_withdrawn_after_given",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent {self.pk} ({self.purpose}) of person {self.person_id}"

    @property
    def in_force(self) -> bool:
        return self.given and self.withdrawn_on is None
