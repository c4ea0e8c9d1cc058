"""The programme manager's dashboard: the partnership's figures now and over a chosen period.

Every figure is one aggregate query over the partnership (counts, never rows of
people), so the page costs a fixed number of queries however large the partnership.
Each chart comes with the same figures as a table: the chart is for the eye, the
table is for everyone (screen readers, keyboard users, printing, JavaScript off).

Each bar opens the cases behind it (``cases_behind_bar``): the bar's condition is
written once here (``_CASE_BARS``, ``_EVENT_BARS``) and used both by the count and by
the list, so the two agree for someone who may see every counted case. The list shows
only the cases the reader may open (the caseload's rule), and says how many were counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from django.db.models import Count, IntegerField, Model, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from advocacy.models import ContactLogEntry
from agencies.models import User
from cases.models import OPEN_STATUSES, Case, CaseStatus, Decision
from cases.permissions import case_visibility_q
from followups.models import FollowUpReview, ReviewStatus
from interventions.models import Appointment
from reporting.returns.measures import Quarter, aware_start

MONTHS = 12
DUE_SOON_DAYS = 30
# A custom period is bucketed by month; three years of months is as many bars as a chart can show.
LONGEST_PERIOD_MONTHS = 36
CASE_LIST_LIMIT = 200
RISK_ORDER = (("high", "High"), ("moderate", "Moderate"), ("low", "Low"), ("", "Not assessed"))
TIER_ORDER = ((1, "Tier 1"), (2, "Tier 2"), (3, "Tier 3"), (4, "Tier 4"), (None, "No tier"))


# --- the period ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportPeriod:
    """The days the flow charts count, both ends included, bucketed by calendar month."""

    start: dt.date
    end: dt.date
    label: str

    @classmethod
    def last_12_months(cls, today: dt.date) -> ReportPeriod:
        start = today.replace(day=1) - relativedelta(months=MONTHS - 1)
        return cls(start, today, f"the last 12 months ({start:%-d %B %Y} to {today:%-d %B %Y})")

    @classmethod
    def quarter(cls, quarter: Quarter, today: dt.date) -> ReportPeriod:
        end = min(quarter.end, today)
        so_far = " so far" if end < quarter.end else ""
        return cls(quarter.start, end, f"{quarter.label}{so_far} ({quarter.start:%-d %B %Y} to {end:%-d %B %Y})")

    @classmethod
    def custom(cls, start: dt.date, end: dt.date) -> ReportPeriod:
        return cls(start, end, f"{start:%-d %B %Y} to {end:%-d %B %Y}")

    def months(self) -> list[tuple[str, dt.date, dt.date]]:
        """(label, first day, last day) of each month in the period, clipped to the period."""
        found = []
        month = self.start.replace(day=1)
        while month <= self.end:
            last = month + relativedelta(months=1) - dt.timedelta(days=1)
            found.append((month.strftime("%b %Y"), max(month, self.start), min(last, self.end)))
            month += relativedelta(months=1)
        return found


# --- what each bar counts --------------------------------------------------------------------------------
#
# A bar is (chart, series, bucket). A snapshot chart's bucket is a value ("active", "2", "none"); a
# chart over time's bucket is a range of days. Case bars count cases; event bars count contacts,
# sessions or reviews, and their list gives each case with how many of them it has.


@dataclass(frozen=True)
class Bucket:
    value: str = ""
    start: dt.date | None = None
    end: dt.date | None = None

    def query(self) -> dict[str, str]:
        if self.start and self.end:
            return {"from": self.start.isoformat(), "to": self.end.isoformat()}
        return {"value": self.value}


def _tier(value: str) -> Q:
    return Q(tier__isnull=True) if value == "none" else Q(tier=int(value))


def _days(name: str, bucket: Bucket) -> Q:
    return Q(**{f"{name}__gte": bucket.start, f"{name}__lte": bucket.end})


def _instants(name: str, bucket: Bucket) -> Q:
    assert bucket.start and bucket.end
    return Q(
        **{f"{name}__gte": aware_start(bucket.start), f"{name}__lt": aware_start(bucket.end + dt.timedelta(days=1))}
    )


_DECIDED = ~Q(decision=Decision.PENDING)
_OPEN = Q(status__in=OPEN_STATUSES)

# (chart, series) -> (the values a snapshot bucket may take or None for a range of days, the condition).
_CASE_BARS: dict[tuple[str, str], tuple[tuple[str, ...] | None, Callable[[Bucket], Q]]] = {
    ("caseload_status", "cases"): (OPEN_STATUSES, lambda b: _OPEN & Q(status=b.value)),
    ("caseload_tier", "cases"): (("1", "2", "3", "4", "none"), lambda b: _OPEN & _tier(b.value)),
    ("caseload_risk", "cases"): (
        ("high", "moderate", "low", "none"),
        lambda b: _OPEN & Q(current_risk="" if b.value == "none" else b.value),
    ),
    ("referrals_decisions", "referred"): (None, lambda b: _days("received_on", b)),
    ("referrals_decisions", "accepted"): (None, lambda b: _days("decided_on", b) & Q(decision=Decision.ACCEPTED)),
    ("referrals_decisions", "declined"): (
        None,
        lambda b: _days("decided_on", b) & _DECIDED & ~Q(decision=Decision.ACCEPTED),
    ),
}


@dataclass(frozen=True)
class EventBar:
    model: type[Model]
    case_path: str  # from the event to its case
    unit: str
    condition: Callable[[Bucket, dt.date], Q]


def _review_due(bucket: Bucket, today: dt.date) -> Q:
    due = Q(due_on__lt=today) if bucket.value == "overdue" else _days("due_on", bucket)
    return Q(status=ReviewStatus.OPEN) & due


_SESSION_RECORDED = Q(feedback_at__isnull=False)
_EVENT_BARS: dict[tuple[str, str], EventBar] = {
    ("contacts", "contacts"): EventBar(ContactLogEntry, "case", "contacts", lambda b, _: _instants("occurred_at", b)),
    ("sessions", "delivered"): EventBar(
        Appointment,
        "session__intervention__case",
        "sessions",
        lambda b, _: _SESSION_RECORDED & _instants("starts_at", b) & Q(happened=True),
    ),
    ("sessions", "missed"): EventBar(
        Appointment,
        "session__intervention__case",
        "sessions",
        lambda b, _: _SESSION_RECORDED & _instants("starts_at", b) & Q(attendance="did_not_attend"),
    ),
    ("followups", "reviews"): EventBar(FollowUpReview, "case", "reviews", _review_due),
}


def bar_url(chart: str, series: str, bucket: Bucket) -> str:
    query = {"chart": chart, "series": series, **bucket.query()}
    return f"{reverse('reporting:dashboard_cases')}?{urlencode(query)}"


# --- the charts ------------------------------------------------------------------------------------------


@dataclass
class Series:
    key: str
    label: str
    data: list[int]
    links: list[str] = field(default_factory=list)


@dataclass
class Chart:
    key: str
    title: str
    kind: str  # "bar" or "line"
    labels: list[str]
    series: list[Series]
    caption: str
    unit: str  # what every figure of the chart counts: "cases", "contacts", "sessions", "reviews"
    section: str  # "now", "period" or "ahead"
    stacked: bool = False

    @property
    def rows(self) -> list[tuple[str, list[tuple[int, str, str]]]]:
        """Each label with, per series, (figure, link to its cases, the series' label)."""
        return [
            (label, [(s.data[i], s.links[i] if s.links else "", s.label) for s in self.series])
            for i, label in enumerate(self.labels)
        ]

    def link(self, buckets: list[Bucket]) -> None:
        for series in self.series:
            series.links = [
                bar_url(self.key, series.key, b) if n else "" for n, b in zip(series.data, buckets, strict=True)
            ]


@dataclass
class Dashboard:
    as_of: dt.date
    period: ReportPeriod
    open_cases: int
    charts: list[Chart]
    followups_overdue: int
    followups_due_soon: int

    def charts_in(self, section: str) -> list[Chart]:
        return [c for c in self.charts if c.section == section]

    @property
    def now_charts(self) -> list[Chart]:
        return self.charts_in("now")

    @property
    def period_charts(self) -> list[Chart]:
        return self.charts_in("period")

    @property
    def ahead_charts(self) -> list[Chart]:
        return self.charts_in("ahead")

    def chart(self, key: str) -> Chart:
        return next(c for c in self.charts if c.key == key)

    def as_data(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "open_cases": self.open_cases,
            "followups": {"overdue": self.followups_overdue, "due_within_30_days": self.followups_due_soon},
            "charts": [
                {
                    "key": c.key,
                    "title": c.title,
                    "kind": c.kind,
                    "stacked": c.stacked,
                    "unit": c.unit,
                    "labels": c.labels,
                    "series": [asdict(s) for s in c.series],
                }
                for c in self.charts
            ],
        }


def _by_month(rows: Any, months: list[dt.date], key: str = "month", value: str = "n") -> list[int]:
    found = {r[key].date() if isinstance(r[key], dt.datetime) else r[key]: r[value] for r in rows}
    return [int(found.get(m, 0)) for m in months]


def dashboard_for_partnership(
    *, partnership_id: int, today: dt.date | None = None, period: ReportPeriod | None = None
) -> Dashboard:
    today = today or timezone.localdate()
    period = period or ReportPeriod.last_12_months(today)
    buckets = period.months()
    labels = [label for label, _, _ in buckets]
    month_keys = [start.replace(day=1) for _, start, _ in buckets]
    by_day = [Bucket(start=start, end=end) for _, start, end in buckets]

    cases = Case.objects.filter(partnership_id=partnership_id)
    open_cases = cases.filter(_OPEN)
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
        [Series("cases", "Cases", [caseload[f"status_{s}"] for s in OPEN_STATUSES])],
        "Open cases now, by status (cases)",
        "cases",
        "now",
    )
    by_status.link([Bucket(value=s) for s in OPEN_STATUSES])
    by_tier = Chart(
        "caseload_tier",
        "Open cases by tier",
        "bar",
        [label for _, label in TIER_ORDER],
        [Series("cases", "Cases", [caseload[f"tier_{t or 'none'}"] for t, _ in TIER_ORDER])],
        "Open cases now, by tier (cases)",
        "cases",
        "now",
    )
    by_tier.link([Bucket(value=str(t or "none")) for t, _ in TIER_ORDER])
    by_risk = Chart(
        "caseload_risk",
        "Open cases by current risk",
        "bar",
        [label for _, label in RISK_ORDER],
        [Series("cases", "Cases", [caseload[f"risk_{r or 'none'}"] for r, _ in RISK_ORDER])],
        "Open cases now, by current risk (cases)",
        "cases",
        "now",
    )
    by_risk.link([Bucket(value=r or "none") for r, _ in RISK_ORDER])

    # Referrals are counted by their cases' received date (a case is made from each referral), so a
    # bar's list of cases is exactly what it counts.
    referred = (
        cases.filter(received_on__gte=period.start, received_on__lte=period.end)
        .annotate(month=TruncMonth("received_on"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    decisions = list(
        cases.filter(_DECIDED, decided_on__gte=period.start, decided_on__lte=period.end)
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
        "Cases referred and decided by month",
        "bar",
        labels,
        [
            Series("referred", "Referred", _by_month(referred, month_keys)),
            Series("accepted", "Accepted", _by_month(decisions, month_keys, value="accepted")),
            Series("declined", "Declined", _by_month(decisions, month_keys, value="declined")),
        ],
        "Cases referred, and cases accepted or declined at triage, by month (cases)",
        "cases",
        "period",
    )
    flow.link(by_day)

    window = {"gte": aware_start(period.start), "lt": aware_start(period.end + dt.timedelta(days=1))}
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
            _SESSION_RECORDED,
            session__intervention__case__partnership_id=partnership_id,
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
    # Contacts and sessions are different things: one chart each, so every figure has one unit.
    advocacy = Chart(
        "contacts",
        "Advocacy contacts by month",
        "bar",
        labels,
        [Series("contacts", "Advocacy contacts", _by_month(contacts, month_keys))],
        "Contacts with victims recorded by advocates, by month (contacts)",
        "contacts",
        "period",
    )
    advocacy.link(by_day)
    therapy = Chart(
        "sessions",
        "Therapy sessions by month",
        "bar",
        labels,
        [
            Series("delivered", "Sessions delivered", _by_month(sessions, month_keys, value="delivered")),
            Series("missed", "Sessions missed", _by_month(sessions, month_keys, value="missed")),
        ],
        "Therapy sessions delivered and missed (did not attend), by month (sessions)",
        "sessions",
        "period",
    )
    therapy.link(by_day)

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
        [Series("reviews", "Open reviews", [review_counts["overdue"], *upcoming_counts])],
        "Open re-offending follow-up reviews: overdue now, and due in each of the next six months (reviews)",
        "reviews",
        "ahead",
    )
    followups.link(
        [
            Bucket(value="overdue"),
            *[Bucket(start=max(m, today), end=m + relativedelta(months=1) - dt.timedelta(days=1)) for m in ahead],
        ]
    )
    return Dashboard(
        as_of=today,
        period=period,
        open_cases=caseload["total"],
        charts=[by_status, by_tier, by_risk, flow, advocacy, therapy, followups],
        followups_overdue=review_counts["overdue"],
        followups_due_soon=review_counts["soon"],
    )


# --- the cases behind a bar ------------------------------------------------------------------------------

TITLES = {
    "caseload_status": "Open cases by status",
    "caseload_tier": "Open cases by tier",
    "caseload_risk": "Open cases by current risk",
    "referrals_decisions": "Cases referred and decided",
    "contacts": "Advocacy contacts",
    "sessions": "Therapy sessions",
    "followups": "Follow-up reviews",
}


@dataclass
class BarCases:
    """The cases behind one bar that the reader may open, and what the bar counted."""

    chart: str
    series: str
    bucket: Bucket
    unit: str
    title: str
    counted: int  # the bar's figure: every case (or contact, session, review) in the partnership
    visible: int  # as many of those as are on cases the reader may open
    cases: list[Case]  # the newest CASE_LIST_LIMIT of them; event bars annotate each with ``n``

    @property
    def is_event_bar(self) -> bool:
        return self.unit != "cases"

    @property
    def truncated(self) -> bool:
        return len(self.cases) == CASE_LIST_LIMIT

    @property
    def heading(self) -> str:
        what = SERIES_LABELS.get(self.series, "")
        if self.bucket.start and self.bucket.end:
            days = f"{self.bucket.start:%-d %B %Y} to {self.bucket.end:%-d %B %Y}"
            return f"{what}, {days}"
        value = _value_label(self.chart, self.bucket.value)
        return value if self.chart.startswith("caseload_") else f"{what}: {value}"


SERIES_LABELS = {
    "cases": "Open cases",
    "referred": "Cases referred",
    "accepted": "Cases accepted",
    "declined": "Cases declined",
    "contacts": "Advocacy contacts",
    "delivered": "Sessions delivered",
    "missed": "Sessions missed",
    "reviews": "Open follow-up reviews",
}


def _value_label(chart: str, value: str) -> str:
    if chart == "caseload_status":
        return f"Open cases: {CaseStatus(value).label}"
    if chart == "caseload_tier":
        return "Open cases with no tier" if value == "none" else f"Open cases in tier {value}"
    if chart == "caseload_risk":
        return "Open cases not assessed" if value == "none" else f"Open cases at {value} risk"
    return "overdue" if value == "overdue" else value


def _bucket(chart: str, series: str, values: tuple[str, ...] | None, params: dict[str, Any]) -> Bucket:
    if values is None or (chart == "followups" and params.get("value") != "overdue"):
        start, end = params.get("start"), params.get("end")
        if not isinstance(start, dt.date) or not isinstance(end, dt.date) or start > end:
            raise Http404
        return Bucket(start=start, end=end)
    value = params.get("value")
    if value not in values:
        raise Http404
    return Bucket(value=str(value))


def cases_behind_bar(
    *, user: User, chart: str, series: str, params: dict[str, Any], today: dt.date | None = None
) -> BarCases:
    """The cases one bar counts that ``user`` may open, newest first; 404 for a bar that is not one."""
    if user.agency is None:
        raise Http404
    today = today or timezone.localdate()
    partnership = Case.objects.filter(partnership_id=user.agency.partnership_id)
    visible_cases = Case.objects.filter(case_visibility_q(user))
    title = TITLES.get(chart, "")
    if (chart, series) in _CASE_BARS:
        values, condition = _CASE_BARS[(chart, series)]
        bucket = _bucket(chart, series, values, params)
        matching = visible_cases.filter(condition(bucket))
        listed = list(matching.order_by("-received_on", "-id")[:CASE_LIST_LIMIT])
        return BarCases(
            chart=chart,
            series=series,
            bucket=bucket,
            unit="cases",
            title=title,
            counted=partnership.filter(condition(bucket)).count(),
            visible=matching.count() if len(listed) == CASE_LIST_LIMIT else len(listed),
            cases=listed,
        )
    if (chart, series) not in _EVENT_BARS:
        raise Http404
    bar = _EVENT_BARS[(chart, series)]
    # The follow-ups' first bar is "overdue" (a value); every other event bar is a range of days.
    bucket = _bucket(chart, series, ("overdue",) if chart == "followups" else None, params)
    events = bar.model._default_manager.filter(bar.condition(bucket, today))
    counted = events.filter(**{f"{bar.case_path}__partnership_id": user.agency.partnership_id}).count()
    per_case = (
        events.filter(**{bar.case_path: OuterRef("pk")})
        .order_by()
        .values(bar.case_path)
        .annotate(c=Count("pk"))
        .values("c")
    )
    matching = visible_cases.annotate(n=Coalesce(Subquery(per_case, output_field=IntegerField()), 0)).filter(n__gt=0)
    listed_with_counts: QuerySet[Case] = matching.order_by("-received_on", "-id")
    return BarCases(
        chart=chart,
        series=series,
        bucket=bucket,
        unit=bar.unit,
        title=title,
        counted=counted,
        visible=int(matching.aggregate(total=Sum("n"))["total"] or 0),
        cases=list(listed_with_counts[:CASE_LIST_LIMIT]),
    )
