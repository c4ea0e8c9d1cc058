"""The evaluation page, its downloads and the API: only the caller's own partnership, only the roles
that see programme data, 404 for everyone else; the same figures as the command."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.models import User
from audit.models import AccessAction, AccessLog
from exchange.importer import import_bundle
from reporting import evaluation as ev
from tests.exchange_bundle_data import AS_OF, write_bundle
from tests.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(world: World, tmp_path: Path) -> World:
    result = import_bundle(source=write_bundle(tmp_path / "b"), partnership_slug=world.partnership.slug)
    assert result.ok
    return world


def api(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def expected(world: World, **period: Any) -> dict[str, Any]:
    return ev.evaluation_tables(partnership=world.partnership, period=ev.Period(**{"as_of": AS_OF, **period}))


# --- the API -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["programme_manager", "admin"])
def test_the_api_gives_the_tables_of_the_callers_partnership(north: World, role: str) -> None:
    url = reverse("api-partnership-evaluation", args=[north.partnership.slug])
    response = api(getattr(north, role)).get(url, {"as_of": "2020-06-30"})
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(expected(north)))
    assert response.json()["reoffending_by_threshold"][1]["yes_pct"] == 57.1
    ranged = api(north.programme_manager).get(url, {"as_of": "2020-06-30", "from": "2019-06-01", "to": "2019-12-31"})
    assert ranged.json()["referrals_by_agency"]["total"] == 5
    entry = AccessLog.objects.filter(record_type="reporting.evaluation").latest("id")
    assert entry.user == north.programme_manager and entry.action == AccessAction.VIEW


def test_the_api_is_404_for_another_partnership_a_missing_one_and_other_roles(north: World, other_world: World) -> None:
    own = reverse("api-partnership-evaluation", args=[north.partnership.slug])
    other = reverse("api-partnership-evaluation", args=[other_world.partnership.slug])
    missing = reverse("api-partnership-evaluation", args=["no-such-partnership"])
    assert api(north.programme_manager).get(other).status_code == 404
    assert api(other_world.programme_manager).get(own).status_code == 404
    assert api(north.programme_manager).get(missing).status_code == 404
    for role in ("triage_officer", "advocate", "clinician", "probation_practitioner"):
        assert api(getattr(north, role)).get(own).status_code == 404, role
    assert api(None).get(own).status_code == 401


def test_the_api_refuses_a_date_that_is_not_one(north: World) -> None:
    url = reverse("api-partnership-evaluation", args=[north.partnership.slug])
    response = api(north.programme_manager).get(url, {"as_of": "30/06/2020"})
    assert response.status_code == 400
    assert response.json() == {"as_of": ["Enter as of as a date like 2019-12-31"]}
    response = api(north.programme_manager).get(url, {"from": "2020-01-01", "to": "2019-01-01"})
    assert response.status_code == 400 and "to" in response.json()


def test_the_api_is_in_the_schema(world: World) -> None:
    # The schema is for signed-in staff only.
    schema = page_client(world.programme_manager).get("/api/v1/schema/")
    assert "/api/v1/partnerships/{slug}/evaluation/" in schema.content.decode()


# --- the page ---------------------------------------------------------------------------------------------------------


def test_the_page_shows_every_table_with_its_chart_data(north: World) -> None:
    url = reverse("reporting:evaluation")
    response = page_client(north.programme_manager).get(
        url, {"as_of_day": "30", "as_of_month": "6", "as_of_year": "2020", "date_from_day": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    for key in (
        "referrals-by-month",
        "decision-funnel",
        "reoffending-by-threshold",
        "intervention-by-reoffending",
        "stalker-type-by-reoffending",
        "tier-by-gender",
        "sash-by-gender",
        "people",
        "perpetrator-age",
    ):
        assert f'data-testid="table-{key}"' in html, key
    for key in ("referrals-by-month", "decision-funnel", "reoffending-by-threshold", "intervention-by-reoffending",
                "tier-by-gender", "sash-by-gender"):  # fmt: skip
        assert f'data-chart="{key}"' in html, key
    assert "57.1%" in html and "0.741" in html  # the 6-month percentage, the direct intervention's p
    assert 'id="evaluation-charts"' in html and "reporting/evaluation-charts.js" in html
    assert "<script>" not in html  # no inline script: the chart data is JSON, the code a static file
    charts = {c["key"]: c for c in response.context["charts"]["charts"]}
    assert charts["decision-funnel"]["series"][0]["data"] == [13, 12, 8]
    assert charts["reoffending-by-threshold"]["series"][0]["data"] == [37.5, 57.1, 80.0, 75.0]
    sections = {s["key"]: s for s in response.context["sections"]}
    assert sections["referrals-by-month"]["total"] == ("Total", [4, 1, 1, 1, 1, 2, 1, 2, 13])
    assert AccessLog.objects.filter(user=north.programme_manager, record_type="reporting.evaluation").exists()


def test_the_page_defaults_to_today_and_shows_a_date_error(north: World) -> None:
    client = page_client(north.admin)
    assert client.get(reverse("reporting:evaluation")).status_code == 200
    response = client.get(
        reverse("reporting:evaluation"), {"as_of_day": "31", "as_of_month": "2", "as_of_year": "2020"}
    )
    assert response.status_code == 400
    assert "As of must be a real date" in response.content.decode()


def test_the_page_costs_a_fixed_number_of_queries(north: World, django_assert_num_queries: Any) -> None:
    client = page_client(north.programme_manager)
    url = reverse("reporting:evaluation")
    client.get(url)
    # Session, user, agency and partnership; the referrals grouped by month, agency and decision;
    # the evaluation's SASH instrument and pass over the cases (with its SET LOCAL, savepoint and
    # release, each carrying the request's history context); the risk assessments' and the
    # victims' outcomes' first-against-latest; the access-log row. The
    # same for 13 referrals as for 100,000. And the header's unread-notifications count.
    with django_assert_num_queries(13 + 1):
        client.get(url)


def test_the_page_is_404_for_other_roles(north: World) -> None:
    for role in ("triage_officer", "advocate", "clinician", "probation_practitioner"):
        assert page_client(getattr(north, role)).get(reverse("reporting:evaluation")).status_code == 404, role


def test_the_downloads(north: World) -> None:
    client = page_client(north.programme_manager)
    query = {"as_of": "2020-06-30", "from": "2019-06-01", "to": "2019-12-31"}
    data = client.get(reverse("reporting:evaluation_download", args=["json"]), query)
    assert data["Content-Disposition"] == f'attachment; filename="{north.partnership.slug}-evaluation-2020-06-30.json"'
    assert json.loads(data.content) == json.loads(json.dumps(expected(north, date_from=ev.Period(AS_OF).as_of.replace(
        year=2019, month=6, day=1), date_to=AS_OF.replace(year=2019, month=12, day=31))))  # fmt: skip
    table = client.get(reverse("reporting:evaluation_download", args=["csv"]), query)
    rows = list(csv.reader(io.StringIO(table.content.decode())))
    assert rows[0] == ["table", "row", "column", "value"]
    assert ["reoffending_by_threshold", "6", "yes_pct", "50.0"] in rows
    assert client.get(reverse("reporting:evaluation_download", args=["xml"]), query).status_code == 404
    assert client.get(reverse("reporting:evaluation_download", args=["csv"]), {"as_of": "x"}).status_code == 400
    assert AccessLog.objects.filter(user=north.programme_manager, action=AccessAction.EXPORT).count() == 2
    assert page_client(north.clinician).get(reverse("reporting:evaluation_download", args=["csv"])).status_code == 404


def test_the_section_is_in_the_navigation_for_programme_roles_only(north: World) -> None:
    from masip.navigation import sections_for

    assert "evaluation" in {s.key for s in sections_for(north.programme_manager)}
    assert "evaluation" in {s.key for s in sections_for(north.admin)}
    assert "evaluation" not in {s.key for s in sections_for(north.triage_officer)}


def test_smallest_expected_count_of_a_two_by_two_table() -> None:
    assert ev.smallest_expected(10, 10, 10, 10) == 10.0
    # Rows 3 and 7, columns 4 and 6, of 10: the smallest cell is expected to hold 3 × 4 / 10.
    assert ev.smallest_expected(1, 2, 3, 4) == pytest.approx(1.2)
    assert ev.smallest_expected(0, 0, 3, 4) is None


def test_the_page_cautions_where_groups_are_too_small_and_explains_its_method(north: World) -> None:
    response = page_client(north.programme_manager).get(
        reverse("reporting:evaluation"), {"as_of_day": "30", "as_of_month": "6", "as_of_year": "2020"}
    )
    html = response.content.decode()
    sections = {s["key"]: s for s in response.context["sections"]}
    # Seven cases reached six months: every intervention's table has a cell expected under 5.
    assert sections["intervention-by-reoffending"]["cautions"]
    assert 'data-testid="caution-intervention-by-reoffending"' in html and "0.741 (caution)" in html
    assert 'data-testid="method-notes"' in html and "docs/evaluation-tables.md" not in html
