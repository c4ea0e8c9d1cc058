"""The gateway for case and person screens: each function scopes, shapes and logs.

Pages (cases/views.py) and the API (cases/apis.py) call these and nothing else to show
a case or a person: scope comes from the selectors (404 outside it), shape from the
per-person record-class rule (cases.permissions.people_classes, applied in
selectors.party_view), and the access-log row is written here, once, for exactly what
is returned. Services use the selectors directly to check scope; they log their own
changes, not views.
"""

from __future__ import annotations

import datetime as dt

from agencies.models import User
from agencies.person_lookup import PersonFound
from audit.models import AccessAction
from audit.services import access_record
from cases import selectors


def caseload_read(
    *,
    user: User,
    filters: selectors.CaseloadFilters,
    cursor: str = "",
    page_size: int = selectors.PAGE_SIZE,
    page_number: int = 1,
) -> selectors.CaseloadPage:
    page = selectors.case_list_for_user(
        user=user, filters=filters, cursor=cursor, page_size=page_size, page_number=page_number
    )
    access_record(
        user=user,
        action=AccessAction.SEARCH if filters.search else AccessAction.VIEW,
        record_type="cases.case",
        record_ids=[row.case.pk for row in page.rows],
    )
    return page


def search_read(*, user: User, term: str, page: int = 1) -> selectors.SearchResults:
    """The header search (page and API): the hits on this page are logged as a search."""
    results = selectors.search_for_user(user=user, term=term, page=page)
    if results.term:
        access_record(
            user=user,
            action=AccessAction.SEARCH,
            record_type="cases.case",
            record_ids=[h.case.pk for h in results.hits],
        )
    return results


def case_read(*, user: User, case_id: int) -> selectors.CaseDetail:
    """The case page and the case endpoint: people shaped per person, notes by class."""
    detail = selectors.case_detail_for_user(user=user, case_id=case_id)
    access_record(user=user, action=AccessAction.VIEW, record_type="cases.case", record_ids=[detail.case.pk])
    # The perpetrator's other cases the page names (reference, status, criminal history) are
    # looked at too: one row naming each of them, so a search of the log by any of them finds it.
    # Cases only counted ("not shared with your agency") show nothing of themselves.
    shown = list(dict.fromkeys(o.case.pk for h in detail.perpetrator_history for o in h.shared if o.case))
    if shown:
        access_record(
            user=user,
            action=AccessAction.VIEW,
            record_type="cases.case",
            record_ids=shown,
            purpose="perpetrator history",
        )
    return detail


def person_read(*, user: User, person_id: int) -> selectors.PersonDetail:
    detail = selectors.person_get_for_user(user=user, person_id=person_id)
    access_record(user=user, action=AccessAction.VIEW, record_type="cases.person", record_ids=[detail.person.pk])
    return detail


def person_matches_read(
    *,
    user: User,
    given_name: str = "",
    family_name: str = "",
    date_of_birth: dt.date | None = None,
    pnc_id: str = "",
    nhs_number: str = "",
    exclude: int | None = None,
) -> list[selectors.MatchCandidate]:
    """Match candidates (intake, merge, the match endpoint), logged as a search of those people."""
    found = [
        c
        for c in selectors.person_match_candidates(
            user=user,
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date_of_birth,
            pnc_id=pnc_id,
            nhs_number=nhs_number,
        )
        if c.person_id != exclude
    ]
    access_record(
        user=user, action=AccessAction.SEARCH, record_type="cases.person", record_ids=[c.person_id for c in found]
    )
    return found


def evaluation_factors_read(*, user: User, case_id: int) -> selectors.EvaluationFactors:
    """The case's evaluation factors (the antisocial lifestyle shaped by the criminal-history class)."""
    factors = selectors.evaluation_factors_for_user(user=user, case_id=case_id)
    access_record(
        user=user,
        action=AccessAction.VIEW,
        record_type="cases.case",
        record_ids=[factors.case.pk],
        purpose="evaluation factors",
    )
    return factors


def people_named_for_access_log(user: User, name: str) -> list[PersonFound]:
    """The access log's person search (agencies.person_lookup), logged as a search of those people."""
    found = selectors.people_named_for_admin(user=user, name=name)
    access_record(
        user=user,
        action=AccessAction.SEARCH,
        record_type="cases.person",
        record_ids=[p.person_id for p in found],
        purpose="access log search by person",
    )
    return [
        PersonFound(
            person_id=p.person_id,
            name=p.name,
            date_of_birth=f"{p.date_of_birth:%-d %b %Y}" if p.date_of_birth else "",
        )
        for p in found
    ]
