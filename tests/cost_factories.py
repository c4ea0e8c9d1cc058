"""Cost data built through the costs services: rate cards, time, accounts.

``cheshire_case_1`` rebuilds the evaluation's Cheshire case 1 (seeds/004 §5 and Appendix 6)
from its line items. The report prints the hours of the people outside the partnership and
the money and QALY items, but not its hourly rates, its operating costs or the partnership
staff's hours: those are chosen here (four-decimal rates, as a salary with employer costs
divided by working hours gives) so that each category comes to the report's figure. The
totals and ratios are then the service's own arithmetic over those lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from agencies.models import User
from cases.models import Case
from costs import activities, catalogue, services
from costs.models import Category, CostAccount, RateCard, UnitCost
from tests.case_factories import make_case
from tests.factories import World

# role key -> (label, hourly rate with employer costs)
CHESHIRE_RATES: dict[str, tuple[str, str]] = {
    # The partnership's own staff (their agency roles).
    "clinician": ("Clinician (forensic psychologist)", "40.7140"),
    "advocate": ("Victim advocate", "25.4975"),
    "triage_officer": ("Detective constable (partnership)", "37.7780"),
    "probation_practitioner": ("Probation officer (partnership)", "25.0950"),
    # People outside the partnership, by role (Appendix 6, notes 2 to 5).
    "officer_in_charge": ("Police officer in charge", "27.5000"),
    "probation_officer": ("Probation officer", "24.0000"),
    "adult_social_care": ("Adult social care professional", "21.0000"),
    "prison_nurse": ("Prison nurse (band 5)", "19.5000"),
    "housing_officer": ("Housing officer", "18.0000"),
    "victim_liaison_officer": ("Victim liaison officer", "24.0000"),
    "senior_law_professional": ("Victim's colleague: senior law professional", "45.0000"),
    "security_professional": ("Victim's colleague: security professional", "14.0000"),
}


def rate_card(actor: User, *, financial_year: int = 2018, rates: dict[str, tuple[str, str]] | None = None) -> RateCard:
    # Note 1: non-salary operating costs ÷ referrals in the first year = £151.13.
    card = services.rate_card_save(
        actor=actor,
        financial_year=financial_year,
        price_year=2019,
        source="Partnership budget and ONS occupational data, uplifted for employer costs",
        operating_costs=Decimal("18135.60"),
        referrals_in_year=120,
    )
    for role, (label, rate) in (rates or CHESHIRE_RATES).items():
        services.hourly_rate_set(actor=actor, rate_card=card, role=role, label=label, hourly_rate=Decimal(rate))
    return card


def unit(key: str) -> int:
    return UnitCost.objects.get(partnership__isnull=True, key=key).pk


@dataclass
class Time:
    category: str
    kind: str
    minutes: int
    staff: User | None = None  # the partnership's own staff record their own time
    role: str = ""  # someone outside the partnership, by role


def cheshire_time(world: World) -> list[Time]:
    r, ra, sg, fu = (Category.REFERRAL, Category.INITIAL_RISK_ASSESSMENT, Category.SAFEGUARDING, Category.FOLLOW_UP)
    return [
        # Referral £552.14 (note 2): partnership time, 2 h each of the officer in charge,
        # a probation officer and an adult social care professional.
        Time(r, "referral", 600, staff=world.clinician),
        Time(r, "referral", 120, role="officer_in_charge"),
        Time(r, "referral", 120, role="probation_officer"),
        Time(r, "referral", 120, role="adult_social_care"),
        # Initial risk assessment £4,435.79 (note 3): interviews in prison and the timeline,
        # probation 2 h, a prison nurse 1 h, a housing officer 6 h.
        Time(ra, "risk_assessment", 6000, staff=world.clinician),
        Time(ra, "risk_assessment", 300, staff=world.triage_officer),
        Time(ra, "risk_assessment", 120, role="probation_officer"),
        Time(ra, "risk_assessment", 60, role="prison_nurse"),
        Time(ra, "risk_assessment", 360, role="housing_officer"),
        # Safeguarding (note 4): the advocate's work, 12 h of a victim liaison officer, and
        # 2.5 h of the victim's colleagues (a senior law professional and a security professional).
        Time(sg, "safeguarding", 3600, staff=world.advocate),
        Time(sg, "safeguarding", 720, role="victim_liaison_officer"),
        Time(sg, "safeguarding", 75, role="senior_law_professional"),
        Time(sg, "safeguarding", 75, role="security_professional"),
        # Post-conviction follow-up £151.88 (note 5).
        Time(fu, "follow_up", 240, staff=world.probation_practitioner),
        Time(fu, "follow_up", 60, role="officer_in_charge"),
        Time(fu, "follow_up", 60, role="probation_officer"),
    ]


def record_time(world: World, case: Case, times: list[Time]) -> None:
    activity = activities.case_activity(case_id=case.pk, partnership_id=case.partnership_id, on=case.received_on)
    for t in times:
        actor = t.staff or world.triage_officer
        left = t.minutes
        while left:  # long work is recorded as the working days it took (at most 10 hours each)
            minutes = min(left, 600)
            left -= minutes
            services.time_entry_record(
                actor=actor,
                activity=activity,
                kind=t.kind,
                minutes=minutes,
                category=t.category,
                role=t.role,
                for_someone_else=t.staff is None,
            )


def catalogue_shipped() -> None:
    """The shipped catalogue, as its data migration loads it (a transactional test's flush empties it)."""
    catalogue.load_shipped(UnitCost)


def cheshire_case_1(world: World, *, manager: User | None = None) -> CostAccount:
    manager = manager or world.programme_manager
    catalogue_shipped()
    rate_card(manager)
    case = make_case(world.triage_officer, received_on=dt.date(2018, 9, 3))
    record_time(world, case, cheshire_time(world))
    account = services.cost_account_open(actor=manager, case=case)
    victim = Category.VICTIM_COSTS
    # Note 6: 14 months of moderate anxiety, moving house, a security door, four window bars.
    services.cost_line_add(
        actor=manager, account=account, category=victim, bearer="victim",
        unit_cost_id=unit("qaly_moderate_anxiety"), quantity=Decimal(14),
    )  # fmt: skip
    services.cost_line_add(
        actor=manager, account=account, category=victim, bearer="victim", unit_cost_id=unit("moving_house")
    )
    services.cost_line_add(
        actor=manager, account=account, category=victim, bearer="victim", unit_cost_id=unit("security_door")
    )
    services.cost_line_add(
        actor=manager, account=account, category=victim, bearer="victim",
        unit_cost_id=unit("window_bar"), quantity=Decimal(4),
    )  # fmt: skip
    # Note 6's items come to £20,549.74; the report's table says £20,579.74. The £30 is in
    # its total but in none of its notes, so it is entered as what it is.
    services.cost_line_add(
        actor=manager, account=account, category=victim, bearer="victim",
        label="Other costs to the victim (in the report's total, not itemised in its notes)", amount=Decimal("30.00"),
    )  # fmt: skip
    # Best case (notes 10 and 11): a vicious attack on the victim.
    best = [
        ("violence_with_injury_state", Decimal(1)),
        ("violence_with_injury_harm", Decimal(1)),
        ("qaly_moderate_anxiety", Decimal(18)),
        ("daily_routine_travel", Decimal(1)),
    ]
    for key, quantity in best:
        services.scenario_item_add(
            actor=manager, account=account, scenario_kind="best", unit_cost_id=unit(key), quantity=quantity
        )
    # Worst case (notes 7 to 9): anxiety of the original victim, violence without injury
    # to a new partner, and the perpetrator's suicide (a cost to society, not split).
    worst = [
        ("qaly_moderate_anxiety", Decimal(3)),
        ("qaly_mild_anxiety", Decimal(17)),
        ("violence_without_injury_harm", Decimal(1)),
        ("violence_without_injury_state", Decimal(1)),
        ("suicide", Decimal(1)),
    ]
    for key, quantity in worst:
        services.scenario_item_add(
            actor=manager, account=account, scenario_kind="worst", unit_cost_id=unit(key), quantity=quantity
        )
    return CostAccount.objects.get(pk=account.pk)
