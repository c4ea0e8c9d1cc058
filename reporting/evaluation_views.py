"""The evaluation page: the evaluation tables for programme managers, with a chart for each
main table and the table itself beneath it (the accessible alternative), and downloads of
the figures as JSON or CSV.

Thin: the figures come from reporting.evaluation (database aggregates); this module only
arranges them for the template. Programme managers and partnership admins of their own
partnership; anyone else 404. Every view and download is logged (aggregates only: no
personal data, but the log says who looked at the programme's figures and when).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from agencies.models import User
from agencies.permissions import can_see_programme_data
from agencies.staff import staff_member, staff_required
from audit.models import AccessAction
from cases.forms import GovukDateField
from cases.models import AgeBand, Gender, ReferringAgency, StalkerType
from masip.forms import GovukForm
from masip.replica import shows_replica_figures
from reporting import evaluation as ev
from reporting import reads

SASH_LABELS = {
    "low": "Low",
    "moderate": "Moderate",
    "moderate_high": "Moderate/high",
    "high": "High",
    "not_completed": "Not completed",
}
TIER_LABELS = {"1": "Tier 1", "2": "Tier 2", "3": "Tier 3", "4": "Tier 4", "blank": "No tier"}
DECISION_LABELS = {
    "accepted": "Accepted",
    "not_stalking": "Declined: not stalking",
    "not_applicable": "Declined: not applicable",
    "no_added_value": "Declined: no added value",
    "pending": "Pending",
}


def _intervention_labels() -> dict[str, str]:
    from interventions.models import InterventionType

    labels = dict(InterventionType.choices)
    # The type names alone are ambiguous between perpetrator and victim work.
    return {
        key: (f"{labels[key]} (perpetrator)" if key.startswith(("perpetrator", "comprehensive")) else labels[key])
        if "(" not in labels[key]
        else labels[key]
        for key in ev.INTERVENTION_TYPES
    }


START_LABELS = {
    ev.START_DECISION: "When the case was accepted",
    ev.START_REFERRAL: "When the referral was received",
}
FACTOR_LABELS = {
    "stalking_charge": "Referred on a stalking charge",
    "ex_intimate": "Ex-intimate partner",
    "mental_health_services": "Known to mental-health services",
    "probation_involved": "Probation involved",
    "mappa": "Managed under MAPPA",
    "antisocial_lifestyle": "Antisocial lifestyle",
}
COMPLETION_LABELS = {
    "completed": "Completed treatment",
    "not_completed": "Did not complete",
    "all": "All who had treatment",
}
RISK_LABELS = {
    "dash": "DASH (band)",
    "sash": "SASH level of concern",
    "srp_violence": "SRP: risk of general violence",
    "srp_persistence": "SRP: persistence",
    "srp_recurrence": "SRP: recurrence",
    "srp_psychosocial_damage": "SRP: psychosocial damage",
}
OUTCOME_LABELS = {
    "feels_safe": "How safe she feels",
    "wellbeing": "Wellbeing",
    "incidents_last_month": "Incidents in the last month",
}


class EvaluationForm(GovukForm):
    as_of = GovukDateField(label="As of", help_text="The date thresholds are measured to. For example, 31 12 2019")
    date_from = GovukDateField(label="Referrals received from", help_text="Leave blank for all. For example, 1 9 2018")
    date_to = GovukDateField(label="Referrals received to", help_text="Leave blank for all. For example, 30 11 2019")
    start = forms.ChoiceField(
        label="Count re-offending from",
        choices=list(START_LABELS.items()),
        required=False,
        widget=forms.RadioSelect,
        help_text="Cheshire counted from the referral; the default is the decision to accept",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end of the period must be on or after its start")
        return data


def _programme_user(request: HttpRequest) -> User:
    """A member of staff in a programme role; 404 for anyone else (the read asks again)."""
    user = staff_member(request)
    if not can_see_programme_data(user):
        raise Http404
    return user


def _period(form: EvaluationForm, today: dt.date) -> ev.Period | None:
    if not form.is_bound:
        return ev.Period(as_of=today)
    if not form.is_valid():
        return None
    data = form.cleaned_data
    return ev.Period(
        as_of=data["as_of"] or today,
        date_from=data["date_from"],
        date_to=data["date_to"],
        start=data["start"] or ev.START_DECISION,
    )


def _query(period: ev.Period) -> str:
    """The period as the download links' query string (dates only: no personal data)."""
    params = {"as_of": period.as_of.isoformat()}
    if period.date_from:
        params["from"] = period.date_from.isoformat()
    if period.date_to:
        params["to"] = period.date_to.isoformat()
    if period.start != ev.START_DECISION:
        params["start"] = period.start
    return "&".join(f"{k}={v}" for k, v in params.items())


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def _p(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def build_page(tables: dict[str, Any], by_month_agency: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The tables and the charts' data, in the page's order and words."""
    agencies = dict(ReferringAgency.choices)
    genders = dict(Gender.choices)
    gender_keys = list(ev.GENDERS)
    gender_labels = [genders[g] for g in gender_keys]
    intervention_labels = _intervention_labels()
    months = list(by_month_agency)
    charts: list[dict[str, Any]] = []
    sections: list[dict[str, Any]] = []

    def month_label(key: str) -> str:
        return dt.date.fromisoformat(f"{key}-01").strftime("%b %Y")

    charts.append(
        {
            "key": "referrals-by-month",
            "kind": "bar",
            "stacked": True,
            "labels": [month_label(m) for m in months],
            "series": [{"label": agencies[a], "data": [by_month_agency[m][a] for m in months]} for a in ev.AGENCIES],
            "yTitle": "Referrals",
        }
    )
    referrals = tables["referrals_by_agency"]
    sections.append(
        {
            "key": "referrals-by-month",
            "title": "Referrals by month and referring agency",
            "chart": True,
            "caption": "Referrals received each month, by who referred them",
            "columns": [*(agencies[a] for a in ev.AGENCIES), "Total"],
            "rows": [
                (month_label(m), [*(by_month_agency[m][a] for a in ev.AGENCIES), tables["referrals_by_month"][m]])
                for m in months
            ],
            "total": ("Total", [*(referrals[a] for a in ev.AGENCIES), referrals["total"]]),
            # A row a month: beyond two years the table is opened on request, the chart shows it at once.
            "collapsed": len(months) > 24,
        }
    )

    decisions = tables["decisions"]
    total = referrals["total"]
    decided = total - decisions["pending"]
    charts.append(
        {
            "key": "decision-funnel",
            "kind": "bar",
            "indexAxis": "y",
            "labels": ["Referrals received", "Decided at triage", "Accepted"],
            "series": [{"label": "Referrals", "data": [total, decided, decisions["accepted"]]}],
            "yTitle": "",
        }
    )
    sections.append(
        {
            "key": "decision-funnel",
            "title": "From referral to case",
            "chart": True,
            "caption": "Referrals received, decided at triage and accepted, and each decision",
            "columns": ["Referrals", "Share of referrals"],
            "rows": [
                ("Referrals received", [total, _share(total, total)]),
                ("Decided at triage", [decided, _share(decided, total)]),
                *((DECISION_LABELS[d], [decisions[d], _share(decisions[d], total)]) for d in ev.DECISIONS),
            ],
        }
    )

    thresholds = tables["reoffending_by_threshold"]
    charts.append(
        {
            "key": "reoffending-by-threshold",
            "kind": "bar",
            "percent": True,
            "labels": [f"{t['months']} months" for t in thresholds],
            "series": [
                {
                    "label": "Re-offended (% of cases that reached the threshold)",
                    "data": [t["yes_pct"] for t in thresholds],
                }
            ],
            "yTitle": "% of cases",
        }
    )
    sections.append(
        {
            "key": "reoffending-by-threshold",
            "title": "Re-offending by time since the case was accepted",
            "chart": True,
            "caption": "Cases whose monitoring has run each length of time, and how many re-offended within it",
            "columns": ["Reached", "Not yet reached", "Re-offended", "Did not", "Re-offended (%)"],
            "rows": [
                (
                    f"{t['months']} months",
                    [t["reached"], t["not_reached"], t["yes"], t["no"], _pct(t["yes_pct"])],
                )
                for t in thresholds
            ],
        }
    )

    interventions = tables["intervention_by_reoffending"]
    cohort = next((t for t in thresholds if t["months"] == ev.COHORT_MONTHS), None)

    def intervention_small(i: dict[str, Any]) -> bool:
        if cohort is None:
            return False
        return small_groups(i["yes"], i["no"], cohort["yes"] - i["yes"], cohort["no"] - i["no"])

    charts.append(
        {
            "key": "intervention-by-reoffending",
            "kind": "bar",
            "indexAxis": "y",
            "stacked": True,
            "labels": [f"{intervention_labels[i['type']]} (p {_p(i['chi2_p'])})" for i in interventions],
            "series": [
                {"label": "Re-offended within 6 months", "data": [i["yes"] for i in interventions]},
                {"label": "Did not re-offend", "data": [i["no"] for i in interventions]},
            ],
            "yTitle": "",
        }
    )
    sections.append(
        {
            "key": "intervention-by-reoffending",
            "title": "Interventions and re-offending within six months",
            "chart": True,
            "caption": "Cases that reached six months, by each intervention they had; p from a chi-square test "
            "(with Yates' correction) of having the intervention against re-offending",
            "columns": ["Re-offended", "Did not", "Total", "p"],
            "rows": [
                (
                    intervention_labels[i["type"]],
                    [i["yes"], i["no"], i["total"], _p_cautioned(i["chi2_p"], intervention_small(i))],
                )
                for i in interventions
            ],
            "cautions": [
                intervention_labels[i["type"]]
                for i in interventions
                if i["chi2_p"] is not None and intervention_small(i)
            ],
        }
    )
    stalker = tables["stalker_type_by_reoffending"]
    stalker_labels = {**dict(StalkerType.choices), "unknown": "Not recorded"}
    sections.append(
        {
            "key": "stalker-type-by-reoffending",
            "title": "Stalker type and re-offending within six months",
            "chart": False,
            "caption": "Cases that reached six months, by stalker type (Mullen's typology)",
            "columns": ["Re-offended", "Did not"],
            "rows": [(stalker_labels[k], [v["yes"], v["no"]]) for k, v in stalker.items()],
        }
    )

    tiers = tables["tier_by_perpetrator_gender"]
    charts.append(
        {
            "key": "tier-by-gender",
            "kind": "bar",
            "stacked": True,
            "labels": [TIER_LABELS[t] for t in tiers],
            "series": [
                {"label": gender_labels[n], "data": [tiers[t][g] for t in tiers]} for n, g in enumerate(gender_keys)
            ],
            "yTitle": "Cases",
        }
    )
    sections.append(
        {
            "key": "tier-by-gender",
            "title": "Tiers, by the perpetrator's gender",
            "chart": True,
            "caption": "Cases by tier and the perpetrator's gender",
            "columns": gender_labels,
            "rows": [(TIER_LABELS[t], [tiers[t][g] for g in gender_keys]) for t in tiers],
        }
    )
    sash = tables["sash_by_perpetrator_gender"]
    charts.append(
        {
            "key": "sash-by-gender",
            "kind": "bar",
            "stacked": True,
            "labels": [SASH_LABELS[s] for s in sash],
            "series": [
                {"label": gender_labels[n], "data": [sash[s][g] for s in sash]} for n, g in enumerate(gender_keys)
            ],
            "yTitle": "Cases",
        }
    )
    sections.append(
        {
            "key": "sash-by-gender",
            "title": "SASH level of concern, by the perpetrator's gender",
            "chart": True,
            "caption": "Cases by their current SASH level of concern and the perpetrator's gender",
            "columns": gender_labels,
            "rows": [(SASH_LABELS[s], [sash[s][g] for g in gender_keys]) for s in sash],
        }
    )
    bands = {**dict(AgeBand.choices), "unknown": "Not known"}
    sections.append(
        {
            "key": "people",
            "title": "Victims and perpetrators",
            "chart": False,
            "caption": "Cases by the gender of the victim and of the perpetrator",
            "columns": ["Victims", "Perpetrators"],
            "rows": [(genders[g], [tables["victim_gender"][g], tables["perpetrator_gender"][g]]) for g in gender_keys],
        }
    )
    sections.append(
        {
            "key": "perpetrator-age",
            "title": "Perpetrators' age",
            "chart": False,
            "caption": "Cases by the perpetrator's age when the referral was received",
            "columns": ["Cases"],
            "rows": [(bands[b], [n]) for b, n in tables["perpetrator_age_band"].items()],
        }
    )
    build_effect_sections(tables, charts, sections)
    return {"sections": sections, "charts": {"charts": charts}}


def small_groups(a: int, b: int, c: int, d: int) -> bool:
    """True when the chi-square test on [[a, b], [c, d]] is defined but a cell's expected count is
    under ``SMALL_EXPECTED_COUNT``: the p-value is shown with a caution."""
    least = ev.smallest_expected(a, b, c, d)
    return least is not None and least < ev.SMALL_EXPECTED_COUNT


def _p_cautioned(value: float | None, small: bool) -> str:
    return f"{_p(value)} (caution)" if small and value is not None else _p(value)


def build_effect_sections(tables: dict[str, Any], charts: list[dict[str, Any]], sections: list[dict[str, Any]]) -> None:
    """The effect tables: re-offending after treatment, recurrence, change in risk and in the
    victims' outcomes, and factors against re-offending."""
    after = tables["reoffending_after_treatment"]
    thresholds = ev.THRESHOLDS
    charts.append(
        {
            "key": "reoffending-after-treatment",
            "kind": "bar",
            "percent": True,
            "labels": [f"{m} months" for m in thresholds],
            "series": [
                {
                    "label": f"{COMPLETION_LABELS[c]} (% re-offended)",
                    "data": [r["yes_pct"] for r in after if r["completion"] == c],
                }
                for c in ev.COMPLETIONS
            ],
            "yTitle": "% of cases",
        }
    )
    sections.append(
        {
            "key": "reoffending-after-treatment",
            "title": "Re-offending after treatment ended",
            "chart": True,
            "caption": "Cases whose direct intervention with the perpetrator has ended, counted from its end, "
            "by whether he completed it",
            "columns": ["Reached", "Not yet reached", "Re-offended", "Did not", "Re-offended (%)"],
            "rows": [
                (
                    f"{COMPLETION_LABELS[r['completion']]}: {r['months']} months",
                    [r["reached"], r["not_reached"], r["yes"], r["no"], _pct(r["yes_pct"])],
                )
                for r in after
            ],
        }
    )
    recurrence = tables["recurrence"]
    sections.append(
        {
            "key": "recurrence",
            "title": "Recurrence",
            "chart": False,
            "caption": "Cases monitored for nine months or more with stalking that came back after a break of "
            "six months or more, towards the same victim or a new one",
            "columns": ["Cases", "Share"],
            "rows": [
                (
                    "Monitored nine months or more",
                    [recurrence["reached"], _share(recurrence["reached"], recurrence["reached"])],
                ),
                (
                    "Recurrence towards the same victim",
                    [recurrence["same_victim"], _share(recurrence["same_victim"], recurrence["reached"])],
                ),
                (
                    "Recurrence towards a new victim",
                    [recurrence["new_victim"], _share(recurrence["new_victim"], recurrence["reached"])],
                ),
                ("Any recurrence", [recurrence["any"], _pct(recurrence["any_pct"])]),
            ],
        }
    )
    risk = tables["risk_change"]
    charts.append(
        {
            "key": "risk-change",
            "kind": "bar",
            "indexAxis": "y",
            "stacked": True,
            "labels": [RISK_LABELS[k] for k in risk],
            "series": [
                {"label": "Lower", "data": [v["lower"] for v in risk.values()]},
                {"label": "Same", "data": [v["same"] for v in risk.values()]},
                {"label": "Higher", "data": [v["higher"] for v in risk.values()]},
            ],
            "yTitle": "",
        }
    )
    sections.append(
        {
            "key": "risk-change",
            "title": "Change in risk",
            "chart": True,
            "caption": "Cases assessed with an instrument on two or more dates: the latest assessment against the "
            "first (DASH by its bands, 0 to 9, 10 to 13, 14 and over; mean change in its yes answers)",
            "columns": ["Cases", "Lower", "Same", "Higher", "Mean change"],
            "rows": [
                (RISK_LABELS[k], [v["cases"], v["lower"], v["same"], v["higher"], _mean(v["mean_change"])])
                for k, v in risk.items()
            ],
        }
    )
    outcomes = tables["victim_outcomes"]
    charts.append(
        {
            "key": "victim-outcomes",
            "kind": "bar",
            "indexAxis": "y",
            "stacked": True,
            "labels": [OUTCOME_LABELS[k] for k in outcomes],
            "series": [
                {"label": "Improved", "data": [v["improved"] for v in outcomes.values()]},
                {"label": "Same", "data": [v["same"] for v in outcomes.values()]},
                {"label": "Worse", "data": [v["worse"] for v in outcomes.values()]},
            ],
            "yTitle": "",
        }
    )
    sections.append(
        {
            "key": "victim-outcomes",
            "title": "Victims' outcomes",
            "chart": True,
            "caption": "Victims asked on two or more dates: her latest answer against her first (how safe she "
            "feels and wellbeing from 0 to 10, higher is better; incidents in the last month, fewer is better)",
            "columns": ["Cases", "Improved", "Same", "Worse", "Mean change"],
            "rows": [
                (OUTCOME_LABELS[k], [v["cases"], v["improved"], v["same"], v["worse"], _mean(v["mean_change"])])
                for k, v in outcomes.items()
            ],
        }
    )
    factors = tables["factor_by_reoffending"]
    cautions = [
        FACTOR_LABELS[f["factor"]]
        for f in factors
        if small_groups(f["with_yes"], f["with_no"], f["without_yes"], f["without_no"]) and f["chi2_p"] is not None
    ]
    charts.append(
        {
            "key": "factor-by-reoffending",
            "kind": "bar",
            "indexAxis": "y",
            "percent": True,
            "labels": [FACTOR_LABELS[f["factor"]] for f in factors],
            "series": [
                {
                    "label": "With the factor (% re-offended)",
                    "data": [_rate(f["with_yes"], f["with_no"]) for f in factors],
                },
                {
                    "label": "Without it (% re-offended)",
                    "data": [_rate(f["without_yes"], f["without_no"]) for f in factors],
                },
            ],
            "yTitle": "",
        }
    )
    sections.append(
        {
            "key": "factor-by-reoffending",
            "title": "Factors and re-offending within six months",
            "chart": True,
            "caption": "Cases that reached six months, with and without each factor (cases where it is not known "
            "are left out); p from a chi-square test (with Yates' correction)",
            "columns": ["With: re-offended", "With: did not", "Without: re-offended", "Without: did not", "p"],
            "rows": [
                (
                    FACTOR_LABELS[f["factor"]],
                    [
                        f["with_yes"],
                        f["with_no"],
                        f["without_yes"],
                        f["without_no"],
                        _p_cautioned(
                            f["chi2_p"], small_groups(f["with_yes"], f["with_no"], f["without_yes"], f["without_no"])
                        ),
                    ],
                )
                for f in factors
            ],
            "cautions": cautions,
        }
    )


def _rate(yes: int, no: int) -> float | None:
    return None if not yes + no else round(yes * 100 / (yes + no), 1)


def _mean(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}"


def _share(part: int, whole: int) -> str:
    return "–" if not whole else f"{part * 100 / whole:.1f}%"


@staff_required
@shows_replica_figures
def evaluation_page(request: HttpRequest) -> HttpResponse:
    user = _programme_user(request)
    assert user.agency is not None
    partnership = user.agency.partnership
    form = EvaluationForm(request.GET or None)
    today = timezone.localdate()
    period = _period(form, today)
    context: dict[str, Any] = {"form": form, "partnership": partnership, "period": period}
    if period is not None:
        read = reads.evaluation_for_user(
            user=user, period=period, what="evaluation tables page", with_referral_groups=True
        )
        by_month = ev.referrals_by_month_and_agency(read.referral_groups or [], period)
        context.update(build_page(read.tables, by_month))
        context["query"] = _query(period)
        context["api_url"] = reverse("api-partnership-evaluation", args=[partnership.slug])
    return render(request, "reporting/evaluation.html", context, status=200 if period is not None else 400)


@staff_required
def evaluation_download(request: HttpRequest, file_format: str) -> HttpResponse:
    user = _programme_user(request)
    assert user.agency is not None
    if file_format not in ("json", "csv"):
        raise Http404
    try:
        period = ev.parse_period(
            as_of=request.GET.get("as_of"),
            date_from=request.GET.get("from"),
            date_to=request.GET.get("to"),
            today=timezone.localdate(),
            start=request.GET.get("start"),
        )
    except ev.EvaluationError as exc:
        return HttpResponse(f"{exc.field}: {exc.message}", status=400, content_type="text/plain; charset=utf-8")
    partnership = user.agency.partnership
    tables = reads.evaluation_for_user(
        user=user,
        period=period,
        what=f"evaluation tables downloaded as {file_format.upper()}",
        action=AccessAction.EXPORT,
    ).tables
    name = f"{partnership.slug}-evaluation-{period.as_of.isoformat()}.{file_format}"
    if file_format == "json":
        body = json.dumps(tables, indent=2)
        content_type = "application/json"
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(ev.CSV_HEADER)
        writer.writerows(ev.tables_as_rows(tables))
        body = buffer.getvalue()
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
