"""The pages of an assessment form: the date, one page per open question group, the result.

Which groups are open depends on the answers so far (the S-DASH page appears once the
DASH's stalking item is yes), so the page list is worked out again after each save.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from risk import scoring
from risk.models import InstrumentVersion, Item, ItemGroup
from risk.selectors import item_rules

ABOUT = "about"
RESULT = "result"
CHECK = "check"


@dataclass
class Page:
    key: str
    title: str
    group: ItemGroup | None = None
    items: list[Item] = field(default_factory=list)


def result_title(version: InstrumentVersion) -> str:
    return "Result and professional judgement" if version.allows_judgement else "Result and notes"


def pages_for(version: InstrumentVersion, items: Sequence[Item], answers: Mapping[str, str]) -> list[Page]:
    opened = scoring.open_keys(item_rules(items), answers)
    pages = [Page(ABOUT, "Date of the assessment")]
    for item in items:
        if item.key not in opened:
            continue
        if pages[-1].group is None or pages[-1].group.pk != item.group_id:
            pages.append(Page(item.group.key, item.group.title, item.group, []))
        pages[-1].items.append(item)
    pages.append(Page(RESULT, result_title(version)))
    return pages


def find(pages: Sequence[Page], key: str) -> int | None:
    return next((index for index, page in enumerate(pages) if page.key == key), None)


def next_key(pages: Sequence[Page], key: str) -> str:
    index = find(pages, key)
    if index is None or index + 1 >= len(pages):
        return CHECK
    return pages[index + 1].key


def previous_key(pages: Sequence[Page], key: str) -> str | None:
    index = find(pages, key)
    if key == CHECK:
        return pages[-1].key
    if not index:
        return None
    return pages[index - 1].key


def page_of_item(pages: Sequence[Page], item_key: str) -> str | None:
    for page in pages:
        if any(item.key == item_key for item in page.items):
            return page.key
    return None
