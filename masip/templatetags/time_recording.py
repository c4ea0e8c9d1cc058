"""``{% time_recording_link "advocacy.contact" contact.pk "this contact" %}``: a "Record time"
link on an activity's page when an app records time (masip.time_recording)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from masip.time_recording import time_link

register = template.Library()


@register.simple_tag(takes_context=True)
def time_recording_link(context: template.Context, source: str, activity_id: int, what: str = "") -> SafeString:
    request = context.get("request")
    url = time_link(getattr(request, "user", None), source, activity_id)
    if not url:
        return SafeString("")
    return format_html(
        '<a class="govuk-link" href="{}">Record time<span class="govuk-visually-hidden"> on {}</span></a>',
        url,
        what or "this activity",
    )
