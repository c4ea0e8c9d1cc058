"""Times as people type them (masip.times), as every form with a time reads them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from masip.times import parse_time


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("14:30", dt.time(14, 30)),
        ("09:30", dt.time(9, 30)),
        ("9.30", dt.time(9, 30)),
        ("0930", dt.time(9, 30)),
        ("9.30am", dt.time(9, 30)),
        ("9.30 a.m.", dt.time(9, 30)),
        ("2:30pm", dt.time(14, 30)),
        ("2:30 PM", dt.time(14, 30)),
        ("9am", dt.time(9, 0)),
        ("12pm", dt.time(12, 0)),
        ("12am", dt.time(0, 0)),
    ],
)
def test_the_forms_people_type_are_read(typed: str, meant: dt.time) -> None:
    assert parse_time(typed) == meant


@pytest.mark.parametrize(
    ("typed", "says"), [("9", "like 09:30"), ("13pm", "like 09:30"), ("25:00", "real time"), ("x", "like")]
)
def test_what_cannot_be_read_is_refused_with_how_to_type_it(typed: str, says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_time(typed)
    assert says in refused.value.messages[0]
