"""Partnerships, their agencies and staff, and the information-sharing agreement."""

from __future__ import annotations

from typing import Any, ClassVar

import pghistory
from django.contrib.auth.models import AbstractUser, BaseUserManager, Group
from django.db import models
from django.db.models.functions import Lower


class AgencyKind(models.TextChoices):
    POLICE = "police", "Police"
    PROBATION = "probation", "Probation"
    HEALTH = "health", "Health"
    ADVOCACY = "advocacy", "Victim advocacy"
    CPS = "cps", "Crown Prosecution Service"
    OTHER = "other", "Other"


class Role(models.TextChoices):
    TRIAGE_OFFICER = "triage_officer", "Triage officer"
    ADVOCATE = "advocate", "Victim advocate"
    CLINICIAN = "clinician", "Clinician"
    PROBATION_PRACTITIONER = "probation_practitioner", "Probation practitioner"
    PROGRAMME_MANAGER = "programme_manager", "Programme manager"
    PARTNERSHIP_ADMIN = "partnership_admin", "Partnership admin"


class RecordClass(models.TextChoices):
    """Classes of record that the information-sharing agreement controls."""

    VICTIM_IDENTITY = "victim_identity", "Victim identity"
    VICTIM_LOCATION = "victim_location", "Victim address, contact details and safe contact"
    SAFETY_PLAN = "safety_plan", "Safety plan"
    CLINICAL = "clinical", "Clinical notes and formulation"
    CRIMINAL_HISTORY = "criminal_history", "Criminal history"


# The defaults every new partnership's agreement starts from (docs/access-model.md).
# Victim location and safety plans never reach the perpetrator-facing agencies;
# clinical material stays with health.
DEFAULT_SHARING: dict[str, tuple[str, ...]] = {
    RecordClass.VICTIM_IDENTITY: (
        AgencyKind.POLICE,
        AgencyKind.PROBATION,
        AgencyKind.ADVOCACY,
        AgencyKind.CPS,
    ),
    RecordClass.VICTIM_LOCATION: (AgencyKind.POLICE, AgencyKind.ADVOCACY),
    RecordClass.SAFETY_PLAN: (AgencyKind.POLICE, AgencyKind.ADVOCACY),
    RecordClass.CLINICAL: (AgencyKind.HEALTH,),
    RecordClass.CRIMINAL_HISTORY: (
        AgencyKind.POLICE,
        AgencyKind.PROBATION,
        AgencyKind.HEALTH,
        AgencyKind.CPS,
    ),
}


@pghistory.track()
class Partnership(models.Model):
    """A local area partnership (for example Cheshire IASU or London STAC)."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    # Tiers of need and risk (1-4) were London's practice; the other partnerships did not
    # use them (seeds/004). Off: no tier is asked, required or shown.
    uses_tiers = models.BooleanField(
        "Uses tiers",
        default=True,
        db_default=True,
        help_text="Cases are given a tier of need and risk (1 to 4) when accepted",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Agency(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="agencies")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=AgencyKind.choices)
    # Core agencies see every new case of the partnership by default.
    is_core = models.BooleanField(default=True)
    # One auth Group per agency: object permissions are granted to agencies, never to users.
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="agency")

    class Meta:
        ordering = ["partnership", "name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["partnership", "name"], name="agency_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class StaffManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(email, password, **fields)


@pghistory.track(exclude=["password", "last_login"])
class User(AbstractUser):
    """A member of staff: one agency in one partnership, with one role."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("e-mail address", unique=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="staff", null=True, blank=True)
    role = models.CharField(max_length=30, choices=Role.choices, blank=True)
    job_title = models.CharField(max_length=200, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[StaffManager] = StaffManager()  # type: ignore[assignment]

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(agency__isnull=True, role="") | models.Q(agency__isnull=False) & ~models.Q(role=""),
                name="user_agency_and_role_together",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    @property
    def partnership_id(self) -> int | None:
        return self.agency.partnership_id if self.agency_id and self.agency else None


@pghistory.track()
class InformationSharingAgreement(models.Model):
    """The partnership's agreement: which agency kinds see which classes of record."""

    partnership = models.OneToOneField(Partnership, on_delete=models.PROTECT, related_name="sharing_agreement")
    reference = models.CharField(max_length=200, blank=True, help_text="The signed agreement's document reference")
    review_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"Information-sharing agreement of {self.partnership}"


@pghistory.track()
class SharingRule(models.Model):
    """One line of the agreement: agencies of ``agency_kind`` may see ``record_class``."""

    agreement = models.ForeignKey(InformationSharingAgreement, on_delete=models.CASCADE, related_name="rules")
    agency_kind = models.CharField(max_length=20, choices=AgencyKind.choices)
    record_class = models.CharField(max_length=30, choices=RecordClass.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agreement", "agency_kind", "record_class"], name="sharing_rule_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_agency_kind_display()} may see {self.get_record_class_display()}"
