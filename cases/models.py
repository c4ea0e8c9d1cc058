"""People, referrals, cases and everything that hangs off a case.

Vocabulary and enumerations follow the partnership data bundle
(../shared/specs/partnership-import.md) so imports and exports need no mapping.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from agencies.models import RecordClass

# --- enumerations ----------------------------------------------------------------------


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not known"


class AgeBand(models.TextChoices):
    UNDER_25 = "under_25", "Under 25"
    AGE_25_34 = "25_34", "25 to 34"
    AGE_35_44 = "35_44", "35 to 44"
    AGE_45_54 = "45_54", "45 to 54"
    AGE_55_64 = "55_64", "55 to 64"
    AGE_65_PLUS = "65_plus", "65 and over"


class Ethnicity(models.TextChoices):
    """The ONS 2021 census high-level groups."""

    ASIAN = "asian", "Asian or Asian British"
    BLACK = "black", "Black, Black British, Caribbean or African"
    MIXED = "mixed", "Mixed or multiple ethnic groups"
    WHITE = "white", "White"
    OTHER = "other", "Other ethnic group"
    PREFER_NOT_TO_SAY = "prefer_not_to_say", "Prefer not to say"


class Disability(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    PREFER_NOT_TO_SAY = "prefer_not_to_say", "Prefer not to say"


class SexualOrientation(models.TextChoices):
    HETEROSEXUAL = "heterosexual", "Heterosexual or straight"
    GAY_LESBIAN = "gay_lesbian", "Gay or lesbian"
    BISEXUAL = "bisexual", "Bisexual"
    OTHER = "other", "Other sexual orientation"
    PREFER_NOT_TO_SAY = "prefer_not_to_say", "Prefer not to say"


class PartyRole(models.TextChoices):
    VICTIM = "victim", "Victim"
    PERPETRATOR = "perpetrator", "Perpetrator"
    SECONDARY_VICTIM = "secondary_victim", "Secondary victim"


class ReferringAgency(models.TextChoices):
    POLICE = "police", "Police"
    PROBATION = "probation", "Probation"
    HEALTH = "health", "Health"
    ADVOCACY = "advocacy", "Advocacy service"
    HELPLINE = "helpline", "National Stalking Helpline"
    MARAC = "marac", "MARAC"
    SELF = "self", "Self-referral"
    OTHER = "other", "Other"


class Offence(models.TextChoices):
    S2A_STALKING = "s2a_stalking", "Stalking (Protection from Harassment Act 1997 s.2A)"
    S4A_STALKING = "s4a_stalking", "Stalking involving fear of violence or serious alarm or distress (s.4A)"
    # The two limbs of s.4A, which the Home Office counts apart (008/65, 008/66); the key above
    # is kept for a referral whose limb is not known.
    S4A_STALKING_FEAR_OF_VIOLENCE = (
        "s4a_stalking_fear_of_violence",
        "Stalking involving fear of violence (s.4A(1)(b)(i))",
    )
    S4A_STALKING_SERIOUS_ALARM_DISTRESS = (
        "s4a_stalking_serious_alarm_distress",
        "Stalking involving serious alarm or distress (s.4A(1)(b)(ii))",
    )
    S2_HARASSMENT = "s2_harassment", "Harassment (s.2)"
    S4_HARASSMENT = "s4_harassment", "Harassment putting people in fear of violence (s.4)"
    BREACH_RESTRAINING_ORDER = "breach_restraining_order", "Breach of a restraining order"
    BREACH_SPO = "breach_spo", "Breach of a Stalking Protection Order"
    MALICIOUS_COMMUNICATIONS = "malicious_communications", "Malicious communications"
    OTHER = "other", "Other"


# Home Office offence classification codes, shown beside the offence on intake.
HOME_OFFICE_CODES: dict[str, str] = {
    Offence.S2A_STALKING: "195/12",
    Offence.S4A_STALKING: "008/65, 008/66",
    Offence.S4A_STALKING_FEAR_OF_VIOLENCE: "008/65",
    Offence.S4A_STALKING_SERIOUS_ALARM_DISTRESS: "008/66",
}
# Where a table groups by offence, both limbs of s.4A count as s.4A (the evaluation-tables spec).
OFFENCE_GROUP: dict[str, str] = {
    Offence.S4A_STALKING_FEAR_OF_VIOLENCE: Offence.S4A_STALKING,
    Offence.S4A_STALKING_SERIOUS_ALARM_DISTRESS: Offence.S4A_STALKING,
}
OFFENCE_MAX_LENGTH = 40


class ReferralReason(models.TextChoices):
    STALKING_CHARGE = "stalking_charge", "Stalking charge"
    ARREST = "arrest", "Arrest"
    POST_SENTENCE = "post_sentence", "Probation, post-sentence"
    VICTIM_REQUEST = "victim_request", "Victim's request"
    OTHER = "other", "Other"


class Relationship(models.TextChoices):
    EX_INTIMATE = "ex_intimate", "Ex-intimate partner"
    ACQUAINTANCE = "acquaintance", "Acquaintance"
    STRANGER = "stranger", "Stranger"
    PROFESSIONAL = "professional", "Professional relationship"
    FAMILY = "family", "Family member"
    WORKPLACE = "workplace", "Workplace"
    ONLINE_ONLY = "online_only", "Online only"
    OTHER = "other", "Other"


class CaseStatus(models.TextChoices):
    REFERRED = "referred", "Referred"
    AWAITING_TRIAGE = "awaiting_triage", "Awaiting triage"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    ACTIVE = "active", "Active"
    MONITORING = "monitoring", "Monitoring"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"


# When a case is open: the one definition. A case is finished once declined or closed; in every
# other status it is open (on the caseload, with reviews and reminders due). A reopened case
# is open again. Use these (or ``Case.is_open``), never a list of statuses of your own.
FINISHED_STATUSES: frozenset[str] = frozenset({CaseStatus.DECLINED, CaseStatus.CLOSED})
OPEN_STATUSES: tuple[str, ...] = tuple(s for s in CaseStatus.values if s not in FINISHED_STATUSES)


class Decision(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    NOT_STALKING = "not_stalking", "Declined: not stalking"
    NOT_APPLICABLE = "not_applicable", "Declined: not applicable"
    NO_ADDED_VALUE = "no_added_value", "Declined: no added value"


def status_for_decision(decision: str, closed: bool) -> str:
    """The lifecycle status of a case recorded after the fact (a data bundle's referral): from
    its triage decision and whether it has closed. Pending stays awaiting triage unless it
    closed; any decision but accepted is declined; an accepted case is active until closed.
    Its one home: the bundle import and anything else that records past cases use it."""
    if decision == Decision.PENDING:
        return CaseStatus.CLOSED if closed else CaseStatus.AWAITING_TRIAGE
    if decision != Decision.ACCEPTED:
        return CaseStatus.DECLINED
    return CaseStatus.CLOSED if closed else CaseStatus.ACTIVE


DECLINE_REASONS = (Decision.NOT_STALKING, Decision.NOT_APPLICABLE, Decision.NO_ADDED_VALUE)


class StalkerType(models.TextChoices):
    """Mullen's typology."""

    REJECTED = "rejected", "Rejected"
    INTIMACY_SEEKER = "intimacy_seeker", "Intimacy seeker"
    INCOMPETENT_SUITOR = "incompetent_suitor", "Incompetent suitor"
    RESENTFUL = "resentful", "Resentful"
    PREDATORY = "predatory", "Predatory"


class DischargeReason(models.TextChoices):
    RISK_MANAGED = "risk_managed", "Risk reduced and managed"
    INTERVENTION_COMPLETE = "intervention_complete", "Interventions complete"
    VICTIM_DISENGAGED = "victim_disengaged", "Victim no longer wishes support"
    PERPETRATOR_CUSTODY = "perpetrator_custody", "Perpetrator in long-term custody"
    TRANSFERRED = "transferred", "Transferred to another area"
    MONITORING_COMPLETE = "monitoring_complete", "Monitoring period complete"
    OTHER = "other", "Other"


# --- people ----------------------------------------------------------------------------


@pghistory.track()
class Person(models.Model):
    """One human being in a partnership, whatever cases they appear in.

    One identity per person is what lets re-offending be measured across cases:
    intake offers matches (identifier exact, name + date of birth fuzzy) before
    a new record is made, and duplicates can be merged.
    """

    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="people")
    ref = models.CharField(max_length=64, blank=True, help_text="The partnership's own id (bundle person_ref)")
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    # Lower-case, accents and punctuation stripped, "given family": what matching compares.
    name_normalised = models.CharField(max_length=310, blank=True, editable=False)
    date_of_birth = models.DateField(null=True, blank=True)
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, blank=True)
    gender = models.CharField(max_length=10, choices=Gender.choices, default=Gender.UNKNOWN)
    ethnicity = models.CharField(max_length=20, choices=Ethnicity.choices, blank=True)
    disability = models.CharField(max_length=20, choices=Disability.choices, blank=True)
    sexual_orientation = models.CharField(max_length=20, choices=SexualOrientation.choices, blank=True)
    pnc_id = models.CharField("PNC ID", max_length=20, blank=True)
    nhs_number = models.CharField("NHS number", max_length=10, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_from")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "people"
        indexes = [
            GinIndex(OpClass("name_normalised", name="gin_trgm_ops"), name="person_name_trgm"),
            models.Index(fields=["partnership", "pnc_id"], name="person_pnc"),
            models.Index(fields=["partnership", "nhs_number"], name="person_nhs"),
            models.Index(fields=["partnership", "date_of_birth"], name="person_dob"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "ref"], condition=~Q(ref=""), name="person_unique_ref"),
            models.CheckConstraint(condition=~Q(merged_into=models.F("id")), name="person_not_merged_into_self"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip() or "(name not recorded)"


@pghistory.track()
class PersonAlias(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    given_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    name_normalised = models.CharField(max_length=310, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "person aliases"
        indexes = [GinIndex(OpClass("name_normalised", name="gin_trgm_ops"), name="alias_name_trgm")]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@pghistory.track()
class Address(models.Model):
    """A person's address. For a victim this is class ``victim_location``."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="addresses")
    line_1 = models.CharField(max_length=200)
    line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return ", ".join(p for p in (self.line_1, self.line_2, self.town, self.postcode) if p)


class ContactKind(models.TextChoices):
    PHONE = "phone", "Phone"
    MOBILE = "mobile", "Mobile"
    EMAIL = "email", "E-mail"
    OTHER = "other", "Other"


@pghistory.track()
class ContactDetail(models.Model):
    """A phone number or e-mail address. For a victim this is class ``victim_location``."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contact_details")
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    value = models.CharField(max_length=200)
    note = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class ContactChannel(models.TextChoices):
    PHONE = "phone", "Phone"
    TEXT = "text", "Text message"
    EMAIL = "email", "E-mail"
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video call"
    LETTER = "letter", "Letter"


@pghistory.track()
class SafeContactPreference(models.Model):
    """How and when a victim may safely be contacted. Class ``victim_location``."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="safe_contact")
    safe_times = models.CharField(max_length=200, blank=True)
    channels = ArrayField(models.CharField(max_length=20, choices=ContactChannel.choices), default=list, blank=True)
    no_voicemail = models.BooleanField(default=False)
    code_word = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Safe-contact preferences"


# --- referrals and cases --------------------------------------------------------------------


@pghistory.track()
class Referral(models.Model):
    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="referrals")
    ref = models.CharField(max_length=64, help_text="Unique in the partnership (bundle referral_ref)")
    received_on = models.DateField()
    referring_agency_kind = models.CharField(max_length=20, choices=ReferringAgency.choices)
    # The partnership's own agency that referred, when it is one of them.
    referring_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    offence = models.CharField(max_length=OFFENCE_MAX_LENGTH, choices=Offence.choices)
    referral_reason = models.CharField(max_length=20, choices=ReferralReason.choices)
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    behaviour_started_on = models.DateField(null=True, blank=True)
    last_incident_on = models.DateField(null=True, blank=True)
    summary = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partnership", "ref"], name="referral_unique_ref")]

    def __str__(self) -> str:
        return f"Referral {self.ref}"

    @property
    def home_office_code(self) -> str:
        return HOME_OFFICE_CODES.get(self.offence, "")


class CrimeReference(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="crime_references")
    reference = models.CharField(max_length=40)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["referral", "reference"], name="crime_reference_unique"),
        ]
        indexes = [models.Index(Upper("reference"), name="crime_reference_upper")]

    def __str__(self) -> str:
        return self.reference


# Named so that pghistory's event model does not collide with the timeline's CaseEvent.
@pghistory.track(model_name="CaseHistory")
class Case(models.Model):
    """A referral's journey through the partnership: triage, work, monitoring, closure."""

    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="cases")
    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="case")
    # Copied from the referral so the caseload's keyset index covers its default order.
    received_on = models.DateField()
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.REFERRED)
    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING)
    decided_on = models.DateField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    heard_at_clinic = models.BooleanField(default=False)
    # Mullen's typology: the primary type, and a secondary one where the formulation names two
    # (a rejected stalker with resentful features). The secondary needs a primary and differs from it.
    stalker_type = models.CharField(max_length=20, choices=StalkerType.choices, blank=True)
    stalker_type_secondary = models.CharField(
        "Secondary stalker type", max_length=20, choices=StalkerType.choices, blank=True, db_default=""
    )
    closed_on = models.DateField(null=True, blank=True)
    discharge_reason = models.CharField(max_length=30, choices=DischargeReason.choices, blank=True)
    assigned_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_cases"
    )
    # Current overall risk, kept by the risk app's services ("" = not assessed).
    current_risk = models.CharField(max_length=20, blank=True)
    # The earliest open due date across reviews and actions, kept by the services that
    # create or close them; the caseload sorts and filters on it.
    next_due_on = models.DateField(null=True, blank=True)
    # A restricted case (a member of staff is a party, a high-profile case) is seen
    # only by users granted it one by one, whatever agency shares it.
    is_restricted = models.BooleanField(default=False)
    # Factors the evaluation tests against re-offending (seeds/004, bundle version 2):
    # None is "not known", which the tables leave out rather than count as "no".
    # What other services know of the perpetrator, as the partnership recorded it.
    mental_health_services = models.BooleanField("Known to mental-health services", null=True, blank=True)
    probation_involved = models.BooleanField("Probation involved", null=True, blank=True)
    mappa = models.BooleanField("Managed under MAPPA", null=True, blank=True)
    # The perpetrator's way of life is class criminal_history: only those who may see
    # criminal history see or record it (cases.selectors, cases.services).
    antisocial_lifestyle = models.BooleanField("Antisocial lifestyle", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [("change_case_sharing", "Can change which agencies a case is shared with")]
        indexes = [
            models.Index(fields=["partnership", "-received_on", "-id"], name="case_caseload_received"),
            models.Index(fields=["partnership", "status", "-received_on", "-id"], name="case_caseload_status"),
            models.Index(fields=["partnership", "next_due_on", "id"], name="case_caseload_next_due"),
            models.Index(fields=["assigned_worker", "-received_on", "-id"], name="case_assigned"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(tier__isnull=True) | Q(tier__gte=1, tier__lte=4), name="case_tier_1_to_4"
            ),
            models.CheckConstraint(
                condition=Q(decision=Decision.PENDING) | Q(decided_on__isnull=False), name="case_decision_has_date"
            ),
            models.CheckConstraint(
                condition=Q(stalker_type_secondary="")
                | (~Q(stalker_type="") & ~Q(stalker_type_secondary=models.F("stalker_type"))),
                name="case_secondary_stalker_type_differs",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status not in FINISHED_STATUSES

    @property
    def reference(self) -> str:
        """The case number staff quote on the phone: never a name."""
        return f"MASIP-{self.pk:06d}"


class CaseParty(models.Model):
    """A person's part in a case. One primary victim and one primary perpetrator."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="case_parts")
    role = models.CharField(max_length=20, choices=PartyRole.choices)
    is_primary = models.BooleanField(default=False)
    # Previous convictions and police intelligence summary: class criminal_history.
    criminal_history = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "case parties"
        constraints = [
            models.UniqueConstraint(fields=["case", "person", "role"], name="party_unique_role"),
            models.UniqueConstraint(
                fields=["case", "role"], condition=Q(is_primary=True), name="party_one_primary_per_role"
            ),
        ]
        indexes = [models.Index(fields=["person", "role"], name="party_person_role")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} in {self.case_id}"


# --- access: who sees a case ----------------------------------------------------------------


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """Direct-FK guardian table: a case shared with an agency (its Group).

    The caseload is one EXISTS against this table on (group, permission, case).
    """

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="group_permissions")

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
        indexes = [
            models.Index(fields=["group", "permission", "content_object"], name="case_group_perm_lookup"),
        ]


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Exceptions granted to one person: a restricted case, a clinician on one case."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="user_permissions")

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False


class BreakGlassAccess(models.Model):
    """A time-limited look at a case outside the agency's scope, with the reason given."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="break_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    granted_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "case", "-expires_at"], name="break_glass_lookup")]

    def __str__(self) -> str:
        return f"Break-glass on {self.case_id}"


class IntakeLinkUse(models.Model):
    """A match candidate the server offered at intake, once linked: the offer cannot be used again.

    Offers are signed tokens (cases.links) naming the person, the user and a nonce; the
    nonce is stored here when the offer is taken, so a copied or replayed form links nobody.
    """

    nonce = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("Person", on_delete=models.PROTECT, related_name="+")
    used_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Intake link to person {self.person_id}"


# --- the case's history and timeline ------------------------------------------------------------


class EventKind(models.TextChoices):
    REFERRED = "referred", "Referral received"
    TRANSITION = "transition", "Status changed"
    SHARED = "shared", "Shared with an agency"
    UNSHARED = "unshared", "Sharing withdrawn"
    BREAK_GLASS = "break_glass", "Break-glass access"
    NOTE = "note", "Case note"
    ORDER = "order", "Order recorded"
    BREACH = "breach", "Breach recorded"
    OUTCOME = "outcome", "Criminal-justice outcome"
    PERSON_MERGED = "person_merged", "Person records merged"
    ASSIGNED = "assigned", "Worker assigned"
    FOLLOW_UP = "follow_up", "Re-offending follow-up"
    MEETING = "meeting", "Meeting outcome"
    IMPORTED = "imported", "Records imported"


class CaseEvent(models.Model):
    """One line of the case's timeline. Written by services, never edited.

    ``record_class`` set means only agencies the agreement allows see the line;
    summaries never contain a victim's address or contact details.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, related_name="+")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    summary = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    from_status = models.CharField(max_length=20, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CaseStatus.choices, blank=True)
    record_class = models.CharField(max_length=30, choices=RecordClass.choices, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case", "-at", "-id"], name="case_event_timeline")]

    def __str__(self) -> str:
        return self.summary


@pghistory.track()
class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    # Blank: every agency the case is shared with; otherwise only those the agreement allows.
    record_class = models.CharField(max_length=30, choices=RecordClass.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Note on {self.case_id}"


# --- orders, breaches, outcomes ------------------------------------------------------------------


class OrderKind(models.TextChoices):
    RESTRAINING_ORDER = "restraining_order", "Restraining order"
    SPO_INTERIM = "spo_interim", "Stalking Protection Order (interim)"
    SPO_FULL = "spo_full", "Stalking Protection Order (full)"
    BAIL_CONDITIONS = "bail_conditions", "Bail conditions"
    LICENCE_CONDITIONS = "licence_conditions", "Licence conditions"


class OrderStatus(models.TextChoices):
    IN_FORCE = "in_force", "In force"
    EXPIRED = "expired", "Expired"
    DISCHARGED = "discharged", "Discharged or varied"


@pghistory.track()
class Order(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="orders")
    kind = models.CharField(max_length=30, choices=OrderKind.choices)
    made_on = models.DateField()
    served_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    issued_by = models.CharField(max_length=200, blank=True, help_text="Court or authority")
    # Prohibitions and requirements that may be shared with every agency on the case.
    conditions = models.TextField(blank=True)
    # Exclusion zones and places named by address: class victim_location. This is the
    # field that must never be printed on papers the perpetrator side sees.
    exclusion_zones = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.IN_FORCE)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-made_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("made_on")),
                name="order_expires_after_made",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} made {self.made_on:%d %b %Y}"


@pghistory.track()
class Breach(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="breaches")
    occurred_on = models.DateField()
    reported_on = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)
    crime_reference = models.CharField(max_length=40, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "breaches"
        ordering = ["-occurred_on"]

    def __str__(self) -> str:
        return f"Breach on {self.occurred_on:%d %b %Y}"


class OutcomeKind(models.TextChoices):
    """The Home Office's crime outcome types (the published list the evaluation's Appendix 2
    uses), and the court's result once a charge has been heard. HOME_OFFICE_OUTCOMES gives
    each type its published number."""

    CHARGE_SUMMONS = "charge_summons", "Charged or summonsed"
    YOUTH_CAUTION = "youth_caution", "Youth caution"
    ADULT_CAUTION = "adult_caution", "Adult caution"
    TAKEN_INTO_CONSIDERATION = "taken_into_consideration", "Taken into consideration"
    OFFENDER_DIED = "offender_died", "Offender died"
    PENALTY_NOTICE = "penalty_notice", "Penalty notice for disorder"
    CANNABIS_KHAT_WARNING = "cannabis_khat_warning", "Cannabis or khat warning"
    COMMUNITY_RESOLUTION = "community_resolution", "Community resolution"
    NOT_PUBLIC_INTEREST_CPS = "not_public_interest_cps", "Prosecution not in the public interest (CPS)"
    NOT_PUBLIC_INTEREST_POLICE = "not_public_interest_police", "Formal action not in the public interest (police)"
    BELOW_CRIMINAL_AGE = "below_criminal_age", "Prosecution prevented: suspect below the age of criminal responsibility"
    SUSPECT_TOO_ILL = "suspect_too_ill", "Prosecution prevented: suspect too ill"
    VICTIM_WITNESS_UNAVAILABLE = (
        "victim_witness_unavailable",
        "Prosecution prevented: victim or key witness dead or too ill",
    )
    EVIDENTIAL_NO_SUSPECT_NO_SUPPORT = (
        "evidential_no_suspect_no_support",
        "Evidential difficulties: suspect not identified, victim does not support action",
    )
    EVIDENTIAL_VICTIM_SUPPORTS = (
        "evidential_victim_supports",
        "Evidential difficulties: suspect identified, victim supports action",
    )
    EVIDENTIAL_NO_VICTIM_SUPPORT = (
        "evidential_no_victim_support",
        "Evidential difficulties: suspect identified, victim does not support action",
    )
    TIME_LIMIT_EXPIRED = "time_limit_expired", "Prosecution time limit expired"
    NO_SUSPECT_IDENTIFIED = "no_suspect_identified", "Investigation complete: no suspect identified"
    ANOTHER_BODY = "another_body", "Further action by another body or agency"
    FURTHER_INVESTIGATION_NOT_PI = (
        "further_investigation_not_pi",
        "Further investigation to support formal action not in the public interest",
    )
    DIVERSIONARY = "diversionary", "Diversionary, educational or intervention activity"
    COURT_RESULT = "court_result", "Court result"


# The published Home Office outcome numbers (court results are not an outcome type).
HOME_OFFICE_OUTCOMES: dict[str, str] = {
    OutcomeKind.CHARGE_SUMMONS: "1",
    OutcomeKind.YOUTH_CAUTION: "2",
    OutcomeKind.ADULT_CAUTION: "3",
    OutcomeKind.TAKEN_INTO_CONSIDERATION: "4",
    OutcomeKind.OFFENDER_DIED: "5",
    OutcomeKind.PENALTY_NOTICE: "6",
    OutcomeKind.CANNABIS_KHAT_WARNING: "7",
    OutcomeKind.COMMUNITY_RESOLUTION: "8",
    OutcomeKind.NOT_PUBLIC_INTEREST_CPS: "9",
    OutcomeKind.NOT_PUBLIC_INTEREST_POLICE: "10",
    OutcomeKind.BELOW_CRIMINAL_AGE: "11",
    OutcomeKind.SUSPECT_TOO_ILL: "12",
    OutcomeKind.VICTIM_WITNESS_UNAVAILABLE: "13",
    OutcomeKind.EVIDENTIAL_NO_SUSPECT_NO_SUPPORT: "14",
    OutcomeKind.EVIDENTIAL_VICTIM_SUPPORTS: "15",
    OutcomeKind.EVIDENTIAL_NO_VICTIM_SUPPORT: "16",
    OutcomeKind.TIME_LIMIT_EXPIRED: "17",
    OutcomeKind.NO_SUSPECT_IDENTIFIED: "18",
    OutcomeKind.ANOTHER_BODY: "20",
    OutcomeKind.FURTHER_INVESTIGATION_NOT_PI: "21",
    OutcomeKind.DIVERSIONARY: "22",
}


class CourtResult(models.TextChoices):
    CONVICTED = "convicted", "Convicted"
    ACQUITTED = "acquitted", "Acquitted"
    DISCONTINUED = "discontinued", "Discontinued"
    WITHDRAWN = "withdrawn", "Withdrawn"


@pghistory.track()
class CriminalJusticeOutcome(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(max_length=40, choices=OutcomeKind.choices)
    decided_on = models.DateField()
    offence = models.CharField(max_length=OFFENCE_MAX_LENGTH, choices=Offence.choices, blank=True)
    court_result = models.CharField(max_length=20, choices=CourtResult.choices, blank=True)
    sentence = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_on"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="court_result") | ~Q(court_result=""), name="outcome_court_result_given"
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def home_office_outcome(self) -> str:
        """The Home Office outcome number, or "" for a court result."""
        return HOME_OFFICE_OUTCOMES.get(self.kind, "")


class PersonMerge(models.Model):
    """The record of a merge: which record survived, which was folded in, by whom, why."""

    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.PROTECT, related_name="+")
    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_in")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_out")
    reason = models.TextField()
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Person {self.merged_id} merged into {self.survivor_id}"
