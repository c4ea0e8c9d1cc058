"""The programme manager's dashboard: the partnership's figures now and over the last twelve months.

Every figure is one aggregate query over the partnership (counts, never rows of
people), so the page costs a fixed number of queries however large the partnership.
Each chart comes with the same figures as a table: the chart is for the eye, the
table is for everyone (screen readers, keyboard users, printing, JavaScript off).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Q
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from advocacy.models import ContactLogEntry
from cases.models import OPEN_STATUSES, Case, CaseStatus, Decision, Referral
from followups.models import FollowUpReview, ReviewStatus
from interventions.models import Appointment
from reporting.returns.measures import aware_start

MONTHS = 12
DUE_SOON_DAYS = 30
RISK_ORDER = (("high", "High"), ("moderate", "Moderate"), ("low", "Low"), ("", "Not assessed"))
TIER_ORDER = ((1, "Tier 1"), (2, "Tier 2"), (3, "Tier 3"), (4, "Tier 4"), (None, "No tier"))


@dataclass
class Series:
    label: str
    data: list[int]


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # "bar" or "line"
    labels: list[str]
    series: list[Series]
    caption: str
    stacked: bool = False
    totals: list[int] = field(default_factory=list)

    @property
    def rows(self) -> list[tuple[str, list[int]]]:
        return [(label, [s.data[i] for s in self.series]) for i, label in enumerate(self.labels)]


@dataclass
class Dashboard:
    as_of: dt.date
    open_cases: int
    charts: list[Chart]
    followups_overdue: int
    followups_due_soon: int

    @property
    def now_charts(self) -> list[Chart]:
        return [c for c in self.charts if c.key.startswith("caseload_")]

    @property
    def flow_charts(self) -> list[Chart]:
        return [c for c in self.charts if not c.key.startswith("caseload_")]

    def chart(self, key: str) -> Chart:
        return next(c for c in self.charts if c.key == key)

    def as_data(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "open_cases": self.open_cases,
            "followups": {"overdue": self.followups_overdue, "due_within_30_days": self.followups_due_soon},
            "charts": [
                {
                    "key": c.key,
                    "title": c.title,
                    "kind": c.kind,
                    "stacked": c.stacked,
                    "labels": c.labels,
                    "series": [asdict(s) for s in c.series],
                }
                for c in self.charts
            ],
        }


def _month_starts(today: dt.date, count: int = MONTHS) -> list[dt.date]:
    first = today.replace(day=1)
    months = [first]
    while len(months) < count:
        months.append((months[-1] - dt.timedelta(days=1)).replace(day=1))
    return list(reversed(months))


def _by_month(rows: Any, months: list[dt.date], key: str = "month", value: str = "n") -> list[int]:
    found = {r[key].date() if isinstance(r[key], dt.datetime) else r[key]: r[value] for r in rows}
    return [int(found.get(m, 0)) for m in months]


def dashboard_for_partnership(*, partnership_id: int, today: dt.date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    months = _month_starts(today)
    since = months[0]
    labels = [m.strftime("%b %Y") for m in months]

    open_cases = Case.objects.filter(partnership_id=partnership_id, status__in=OPEN_STATUSES)
    caseload = open_cases.aggregate(
        total=Count("pk"),
        **{f"status_{s}": Count("pk", filter=Q(status=s)) for s in OPEN_STATUSES},
        **{f"tier_{t or 'none'}": Count("pk", filter=Q(tier=t) if t else Q(tier__isnull=True)) for t, _ in TIER_ORDER},
        **{f"risk_{r or 'none'}": Count("pk", filter=Q(current_risk=r)) for r, _ in RISK_ORDER},
    )
    by_status = Chart(
        "caseload_status",
        "Open cases by status",
        "bar",
        [str(CaseStatus(s).label) for s in OPEN_STATUSES],
        [Series("Cases", [caseload[f"status_{s}"] for s in OPEN_STATUSES])],
        "Open cases now, by status",
    )
    by_tier = Chart(
        "caseload_tier",
        "Open cases by tier",
        "bar",
        [label for _, label in TIER_ORDER],
        [Series("Cases", [caseload[f"tier_{t or 'none'}"] for t, _ in TIER_ORDER])],
        "Open cases now, by tier",
    )
    by_risk = Chart(
        "caseload_risk",
        "Open cases by current risk",
        "bar",
        [label for _, label in RISK_ORDER],
        [Series("Cases", [caseload[f"risk_{r or 'none'}"] for r, _ in RISK_ORDER])],
        "Open cases now, by current risk",
    )

    referrals = (
        Referral.objects.filter(partnership_id=partnership_id, received_on__gte=since, received_on__lte=today)
        .annotate(month=TruncMonth("received_on"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    decisions = list(
        Case.objects.filter(partnership_id=partnership_id, decided_on__gte=since, decided_on__lte=today)
        .exclude(decision=Decision.PENDING)
        .annotate(month=TruncMonth("decided_on"))
        .values("month")
        .annotate(
            accepted=Count("pk", filter=Q(decision=Decision.ACCEPTED)),
            declined=Count("pk", filter=~Q(decision=Decision.ACCEPTED)),
        )
        .order_by()
    )
    flow = Chart(
        "referrals_decisions",
        "Referrals and decisions by month",
        "bar",
        labels,
        [
            Series("Referrals received", _by_month(referrals, months)),
            Series("Accepted", _by_month(decisions, months, value="accepted")),
            Series("Declined", _by_month(decisions, months, value="declined")),
        ],
        "Referrals received and triage decisions made, by month",
    )

    window = {"gte": aware_start(since), "lt": aware_start(today + dt.timedelta(days=1))}
    contacts = (
        ContactLogEntry.objects.filter(
            case__partnership_id=partnership_id, occurred_at__gte=window["gte"], occurred_at__lt=window["lt"]
        )
        .annotate(month=TruncMonth(TruncDate("occurred_at")))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    sessions = list(
        Appointment.objects.filter(
            session__intervention__case__partnership_id=partnership_id,
            feedback_at__isnull=False,
            starts_at__gte=window["gte"],
            starts_at__lt=window["lt"],
        )
        .annotate(month=TruncMonth(TruncDate("starts_at")))
        .values("month")
        .annotate(
            delivered=Count("pk", filter=Q(happened=True)), missed=Count("pk", filter=Q(attendance="did_not_attend"))
        )
        .order_by()
    )
    work = Chart(
        "contacts_sessions",
        "Advocacy contacts and therapy sessions by month",
        "line",
        labels,
        [
            Series("Advocacy contacts", _by_month(contacts, months)),
            Series("Sessions delivered", _by_month(sessions, months, value="delivered")),
            Series("Sessions missed", _by_month(sessions, months, value="missed")),
        ],
        "Contacts with victims and therapy sessions delivered and missed, by month",
    )

    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    ahead = [today.replace(day=1) + relativedelta(months=i) for i in range(6)]
    reviews = FollowUpReview.objects.filter(case__partnership_id=partnership_id, status=ReviewStatus.OPEN)
    review_counts = reviews.aggregate(
        overdue=Count("pk", filter=Q(due_on__lt=today)),
        soon=Count("pk", filter=Q(due_on__gte=today, due_on__lte=soon)),
    )
    upcoming = (
        reviews.filter(due_on__gte=today, due_on__lt=ahead[-1] + relativedelta(months=1))
        .annotate(month=TruncMonth("due_on"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    upcoming_counts = _by_month(upcoming, ahead)
    followups = Chart(
        "followups",
        "Follow-up reviews overdue and due",
        "bar",
        ["Overdue", *[m.strftime("%b %Y") for m in ahead]],
        [Series("Open reviews", [review_counts["overdue"], *upcoming_counts])],
        "Open re-offending follow-up reviews: overdue now, and due in each of the next six months",
    )
    return Dashboard(
        as_of=today,
        open_cases=caseload["total"],
        charts=[by_status, by_tier, by_risk, flow, work, followups],
        followups_overdue=review_counts["overdue"],
        followups_due_soon=review_counts["soon"],
    )
