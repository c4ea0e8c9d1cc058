"""The partnership data bundle as data: its files, their columns and their enumerations.

../shared/specs/partnership-import.md is the contract; this module is that contract in
code, and the only place the importer, the exporter and the pages read it from. The
project's own optional columns (docs/partnership-bundle.md) are marked ``extension``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from masip.spreadsheet import FORMULA_TRIGGERS, QUOTE

PEOPLE = "people.csv"
REFERRALS = "referrals.csv"
RISK = "risk_assessments.csv"
INTERVENTIONS = "interventions.csv"
REOFFENDING = "reoffending.csv"
FILES: tuple[str, ...] = (PEOPLE, REFERRALS, RISK, INTERVENTIONS, REOFFENDING)
# The project's optional cost files (docs/partnership-bundle.md, "Optional files: costs"):
# written only by an export of a partnership with cost data, read when a bundle has them.
TIME_ENTRIES = "time_entries.csv"
COST_ACCOUNTS = "cost_accounts.csv"
COST_LINES = "cost_lines.csv"
COST_FILES: tuple[str, ...] = (TIME_ENTRIES, COST_ACCOUNTS, COST_LINES)
ALL_FILES: tuple[str, ...] = FILES + COST_FILES

# --- enumerations, as the contract lists them --------------------------------------------------------------------

GENDERS = ("female", "male", "other", "unknown")
AGE_BANDS = ("under_25", "25_34", "35_44", "45_54", "55_64", "65_plus")
REFERRING_AGENCIES = ("police", "probation", "health", "advocacy", "helpline", "marac", "self", "other")
OFFENCES = (
    "s2a_stalking",
    "s4a_stalking",
    "s2_harassment",
    "s4_harassment",
    "breach_restraining_order",
    "breach_spo",
    "malicious_communications",
    "other",
)
REFERRAL_REASONS = ("stalking_charge", "arrest", "post_sentence", "victim_request", "other")
RELATIONSHIPS = (
    "ex_intimate",
    "acquaintance",
    "stranger",
    "professional",
    "family",
    "workplace",
    "online_only",
    "other",
)
DECISIONS = ("accepted", "not_stalking", "not_applicable", "no_added_value", "pending")
TIERS = ("1", "2", "3", "4")
STALKER_TYPES = ("rejected", "intimacy_seeker", "incompetent_suitor", "resentful", "predatory")
YES_NO = ("yes", "no")
INSTRUMENTS = ("sash", "dash", "srp")
SASH_CONCERNS = ("low", "moderate", "moderate_high", "high", "not_completed")
SRP_LEVELS = ("low", "moderate", "high")
INTERVENTION_TYPES = (
    "comprehensive_risk_assessment",
    "perpetrator_direct_intervention",
    "perpetrator_health_signposting",
    "perpetrator_third_party_consultation",
    "victim_direct_intervention",
    "victim_target_hardening",
    "victim_third_party_consultation",
    "victim_safeguarding",
)
INTERVENTION_STATUSES = ("planned", "ongoing", "completed", "dropped_out", "cancelled")
# Extension: the finer ending the project records (interventions.models.Ending).
INTERVENTION_ENDINGS = ("completed", "ended_early", "cancelled", "dropped_out")
REOFFENDING_KINDS = ("persistence", "recurrence")
REOFFENDING_VICTIMS = ("same", "new")
REOFFENDING_SOURCES = ("victim", "police", "probation", "health", "other")

# Extension: the cost files' enumerations (costs.models).
ACTIVITY_KINDS = (
    "meeting_preparation",
    "meeting_attendance",
    "meeting_travel",
    "contact",
    "session",
    "risk_assessment",
    "safeguarding",
    "court_support",
    "referral",
    "follow_up",
)
COST_CATEGORIES = (
    "infrastructure",
    "referral",
    "initial_risk_assessment",
    "safeguarding",
    "treatment",
    "follow_up",
    "victim_costs",
)
AGENCY_KINDS = ("police", "probation", "health", "advocacy", "cps", "other")
ACCOUNT_STATUSES = ("draft", "finished")
# Which part of an account a line of cost_lines.csv belongs to: what happened, or a scenario.
LINE_PARTS = ("happened", "best", "worst")
BEARERS = ("state", "victim", "society")
LINE_KINDS = ("staff_time", "money", "qaly", "per_incident")

DASH_MAX_YES = 27
SRP_COLUMNS = ("srp_violence", "srp_persistence", "srp_recurrence", "srp_psychosocial_damage")
# Several crime references of one referral share the one column, separated by this.
CRIME_REFERENCE_SEPARATOR = ";"

# --- columns ---------------------------------------------------------------------------------------------------------

TEXT, REF, DATE, ENUM, INT = "text", "ref", "date", "enum", "int"
# Money and other decimals, as text ("8855.00"): never a float.
DECIMAL = "decimal"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    choices: tuple[str, ...] = ()
    # The column must be in the header (its cells may still be empty unless ``required``).
    in_header: bool = False
    # Its cells may not be empty.
    required: bool = False
    max_length: int = 0
    # One of the project's own optional columns (docs/partnership-bundle.md).
    extension: bool = False
    # DECIMAL: the most digits after the point.
    places: int = 0
    # Names or identifiers: left out of a pseudonymised export.
    identifying: bool = False


@dataclass(frozen=True)
class FileSpec:
    name: str
    columns: tuple[Column, ...]
    required: bool = False
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(c.name for c in self.columns))

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _key(name: str, max_length: int = 64) -> Column:
    return Column(name, REF, in_header=True, required=True, max_length=max_length)


SPECS: dict[str, FileSpec] = {
    PEOPLE: FileSpec(
        PEOPLE,
        (
            _key("person_ref"),
            Column("gender", ENUM, GENDERS),
            Column("date_of_birth", DATE),
            Column("age_band", ENUM, AGE_BANDS),
            Column("pnc_id", TEXT, max_length=20, identifying=True),
            Column("nhs_number", TEXT, max_length=12, identifying=True),
            Column("given_name", TEXT, max_length=150, identifying=True),
            Column("family_name", TEXT, max_length=150, identifying=True),
        ),
    ),
    REFERRALS: FileSpec(
        REFERRALS,
        (
            _key("referral_ref"),
            Column("received_on", DATE, in_header=True, required=True),
            Column("referring_agency", ENUM, REFERRING_AGENCIES, in_header=True, required=True),
            Column("crime_reference", TEXT, max_length=400, identifying=True),
            Column("offence", ENUM, OFFENCES),
            Column("referral_reason", ENUM, REFERRAL_REASONS),
            Column("victim_ref", REF, in_header=True, required=True, max_length=64),
            Column("perpetrator_ref", REF, in_header=True, required=True, max_length=64),
            Column("relationship", ENUM, RELATIONSHIPS),
            Column("decision", ENUM, DECISIONS, in_header=True, required=True),
            Column("decided_on", DATE),
            Column("tier", ENUM, TIERS),
            Column("stalker_type", ENUM, STALKER_TYPES),
            Column("heard_at_clinic", ENUM, YES_NO),
            Column("closed_on", DATE),
        ),
        required=True,
    ),
    RISK: FileSpec(
        RISK,
        (
            _key("referral_ref"),
            Column("instrument", ENUM, INSTRUMENTS, in_header=True, required=True),
            Column("assessed_on", DATE, in_header=True, required=True),
            Column("sash_concern", ENUM, SASH_CONCERNS),
            Column("dash_yes_count", INT),
            *(Column(name, ENUM, SRP_LEVELS) for name in SRP_COLUMNS),
        ),
    ),
    INTERVENTIONS: FileSpec(
        INTERVENTIONS,
        (
            _key("referral_ref"),
            Column("type", ENUM, INTERVENTION_TYPES, in_header=True, required=True),
            Column("started_on", DATE),
            Column("ended_on", DATE),
            Column("status", ENUM, INTERVENTION_STATUSES, in_header=True, required=True),
            Column("sessions_planned", INT),
            Column("sessions_attended", INT),
            Column("ending", ENUM, INTERVENTION_ENDINGS, extension=True),
        ),
    ),
    REOFFENDING: FileSpec(
        REOFFENDING,
        (
            _key("referral_ref"),
            Column("occurred_on", DATE, in_header=True, required=True),
            Column("kind", ENUM, REOFFENDING_KINDS),
            Column("victim", ENUM, REOFFENDING_VICTIMS),
            Column("source", ENUM, REOFFENDING_SOURCES),
            Column("offence", ENUM, OFFENCES),
            Column("crime_reference", TEXT, max_length=40, extension=True, identifying=True),
        ),
    ),
    # The project's optional cost files: every column is the project's own.
    TIME_ENTRIES: FileSpec(
        TIME_ENTRIES,
        (
            _key("referral_ref"),
            Column("occurred_on", DATE, in_header=True, required=True),
            Column("activity_kind", ENUM, ACTIVITY_KINDS, in_header=True, required=True),
            Column("cost_category", ENUM, COST_CATEGORIES, in_header=True, required=True),
            Column("role", REF, in_header=True, required=True, max_length=60),
            Column("agency_kind", ENUM, AGENCY_KINDS),
            Column("minutes", INT, in_header=True, required=True),
            Column("staff", ENUM, YES_NO),
        ),
    ),
    COST_ACCOUNTS: FileSpec(
        COST_ACCOUNTS,
        (
            _key("referral_ref"),
            Column("financial_year", INT, in_header=True, required=True),
            Column("status", ENUM, ACCOUNT_STATUSES, in_header=True, required=True),
            Column("period_months", INT),
            Column("infrastructure", DECIMAL, places=2),
            Column("finished_on", DATE),
        ),
    ),
    COST_LINES: FileSpec(
        COST_LINES,
        (
            _key("referral_ref"),
            Column("part", ENUM, LINE_PARTS, in_header=True, required=True),
            Column("category", ENUM, COST_CATEGORIES),
            Column("bearer", ENUM, BEARERS, in_header=True, required=True),
            Column("kind", ENUM, LINE_KINDS, in_header=True, required=True),
            # Typed by hand for a sum of money ("Moving to her sister's"): may say who she is.
            Column("label", TEXT, max_length=200, identifying=True),
            Column("role", REF, max_length=60),
            Column("hours", DECIMAL, places=4),
            Column("hourly_rate", DECIMAL, places=4),
            Column("unit_cost", REF, max_length=80),
            Column("quantity", DECIMAL, places=4),
            Column("unit_amount", DECIMAL, places=2),
            Column("qaly_loss", DECIMAL, places=8),
            Column("value_of_year", DECIMAL, places=2),
            Column("amount", DECIMAL, in_header=True, required=True, places=2),
            # Where the figure comes from (the rate card's or the catalogue's source).
            Column("source", TEXT, max_length=2000, identifying=True),
        ),
    ),
}


# --- cells written safely ---------------------------------------------------------------------------------------


def escape_cell(value: str) -> str:
    """Prefix a cell a spreadsheet would read as a formula with a single quote.

    A value that itself starts with a quote is prefixed too, so ``unescape_cell`` can
    always tell the quote the export added from one that belongs to the value: every
    value the project holds comes back exactly as it was.
    """
    if value and (value[0] in FORMULA_TRIGGERS or value[0] == QUOTE):
        return QUOTE + value
    return value


def unescape_cell(value: str) -> str:
    """Undo ``escape_cell``: a quote before a formula character, or before another quote, is dropped.

    A partnership's own spreadsheet that protected its cells the same way imports as
    meant; a leading quote before anything else is part of the value.
    """
    if len(value) > 1 and value[0] == QUOTE and (value[1] in FORMULA_TRIGGERS or value[1] == QUOTE):
        return value[1:]
    return value
