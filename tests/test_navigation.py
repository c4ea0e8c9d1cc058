"""The header: the sections grouped by what people do, the group's sections under it, a user menu."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from masip import navigation
from tests.factories import World

pytestmark = pytest.mark.django_db


def _page(user: object, path: str) -> str:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def _service_navigation(html: str) -> list[str]:
    block = html[html.index('id="navigation"') : html.index("</ul>", html.index('id="navigation"'))]
    links = re.findall(r'class="govuk-service-navigation__link"[^>]*>(.*?)</a>', block)
    return [re.sub(r"<[^>]+>", "", link).strip() for link in links]


def test_every_section_has_a_group_or_is_in_the_user_menu() -> None:
    keys = set(navigation._registry)
    assert keys, "the apps registered no sections"
    ungrouped = keys - set(navigation.SECTION_GROUPS) - navigation.ACCOUNT_SECTIONS
    assert not ungrouped
    assert set(navigation.SECTION_GROUPS.values()) <= {key for key, _ in navigation.GROUPS}


def test_an_admin_sees_four_groups_and_the_administration_sections_under_them(world: World) -> None:
    html = _page(world.admin, "/partnership/access-log/")
    assert _service_navigation(html) == ["Casework", "Meetings", "Reporting", "Administration"]
    assert re.search(r'aria-current="true"><strong[^>]*>Administration</strong>', html)
    sub = html[html.index('class="moj-sub-navigation masip-section-navigation"') :]
    sub = sub[: sub.index("</nav>")]
    assert 'aria-current="page">Access log</a>' in sub
    assert ">Staff</a>" in sub and ">Caseload</a>" not in sub


def test_a_page_inside_a_section_marks_it_without_claiming_to_be_it(world: World) -> None:
    html = _page(world.admin, "/cases/")
    assert 'aria-current="page">Caseload</a>' in html
    assert re.search(r'aria-current="true"><strong[^>]*>Casework</strong>', html)


def test_a_case_tab_of_another_app_is_inside_the_caseload(world: World) -> None:
    from tests.case_factories import make_case

    case = make_case(world.triage_officer)
    html = _page(world.triage_officer, f"/risk/cases/{case.pk}/")
    assert 'aria-current="true">Caseload</a>' in html
    assert re.search(r'aria-current="true"><strong[^>]*>Casework</strong>', html)


def test_an_advocate_has_no_administration_or_reporting(world: World) -> None:
    groups = _service_navigation(_page(world.advocate, "/"))
    assert "Administration" not in groups and "Reporting" not in groups
    assert "Casework" in groups


def test_the_user_menu_has_account_security_and_a_sign_out_form(world: World) -> None:
    html = _page(world.advocate, "/")
    menu = html[html.index('aria-label="Your account"') : html.index("</nav>", html.index('aria-label="Your account"'))]
    assert 'href="/accounts/2fa/"' in menu and ">Account security</a>" in menu
    sign_out = r'<form method="post" action="/accounts/logout/"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken"'
    assert re.search(sign_out, menu)
    assert '<button type="submit" class="masip-user-menu__button">Sign out</button>' in menu
    # Account security is in the menu, not among the groups' sections.
    assert "Account security" not in _service_navigation(html)
