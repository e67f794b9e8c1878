"""The back-office home (/admin/): what waits for the signed-in person, by role.

Wagtail's dashboard (site summary, page search, editor guide, upgrade notice) is replaced
by panels that the apps owning the work tell on ``training_platform.extensions.home_panels``
in their ``AppConfig.ready()``: a function ``fn(request) -> [HomePanel]`` that returns
``[]`` for a user it has nothing for and scopes its rows exactly as the app's back-office
lists do (``training_platform.access`` and the app's ``policies.py``). This module only
collects the panels that apply to ``request.user`` and renders them, so it imports no app.

Each panel has a heading, counts with measure words (共 N 条, N 个培训班), rows linking
to where the work is done, overdue rows first, and an empty state that says nothing is
waiting. A panel's functions run a fixed number of queries, whatever the data holds.

Order on the page (``HomePanel.order``): the work that waits for this person's decision
first (``ORDER_DECISIONS``: class approvals, change requests, and later subsidy claims
from ``subsidies``), then their own work in progress (``ORDER_WORK``), then what they
watch (``ORDER_WATCH``).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from wagtail.admin.ui.components import Component

from training_platform.extensions import home_panels

ORDER_DECISIONS = 100  # waiting for this person's decision (approvals, reviews)
# A bureau's decisions, in this order: classes to approve (courses, ORDER_DECISIONS),
# subsidy claims to review (subsidies, to come: ORDER_CLAIMS), institution change
# requests (bases, ORDER_DECISIONS + 20).
ORDER_CLAIMS = ORDER_DECISIONS + 10
ORDER_WORK = 200  # this person's own work in progress
ORDER_WATCH = 300  # recent activity to look at (verifications, spot checks)
ROWS_SHOWN = 5  # rows per section; the count and 查看全部 lead to the rest


def count_text(count: int, measure: str = "条") -> str:
    """共 46 条 for records, 5 个培训班 / 32 人 for things with their own measure word."""
    if measure == "条":
        return f"共 {count} 条"
    return f"{count} {measure}"


@dataclass(frozen=True)
class HomeRow:
    """One thing that waits: what it is, where it is done, and what to do next."""

    label: str
    url: str
    detail: str = ""  # a second line: institution, place, dates, who
    action: str = ""  # the next step, named as a verb (提交备案, 审批, 为本班发证)
    action_url: str = ""  # where the next step is taken, if not ``url``
    flag: str = ""  # a short warning shown before the row (已超期, 临近开班)


@dataclass
class HomeSection:
    """A group of rows in a panel, e.g. the classes of one state with their next step."""

    heading: str
    count: int
    rows: list[HomeRow] = field(default_factory=list)
    measure: str = "条"
    next_step: str = ""  # the step every row of the section waits for
    more_url: str = ""  # the full list, filtered to this section

    @property
    def count_text(self) -> str:
        return count_text(self.count, self.measure)

    @property
    def more(self) -> bool:
        return bool(self.more_url) and self.count > len(self.rows)


@dataclass
class HomePanel:
    """A panel on the home: a heading, its sections, and what it says when empty."""

    key: str  # unique on the page; also the HTML id (home-<key>)
    heading: str
    sections: list[HomeSection]
    empty: str  # 没有等待您审批的培训班。
    measure: str = "条"
    order: int = ORDER_WORK
    description: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)
    overdue: int = 0  # how many of the rows are overdue (said in the heading line)

    @property
    def count(self) -> int:
        return sum(section.count for section in self.sections)

    @property
    def count_text(self) -> str:
        return count_text(self.count, self.measure)

    @property
    def is_empty(self) -> bool:
        return self.count == 0

    @property
    def overdue_text(self) -> str:
        if not self.overdue:
            return ""
        return (
            f"其中 {count_text(self.overdue, self.measure).removeprefix('共 ')}已超期"
        )


def panels_for(request) -> list[HomePanel]:
    """Every app's panels for ``request.user``, in page order."""
    panels: list[HomePanel] = []
    for fn in home_panels:
        panels.extend(fn(request) or ())
    return sorted(panels, key=lambda p: p.order)


class HomePanelComponent(Component):
    """A ``HomePanel`` as a Wagtail dashboard panel."""

    template_name = "home/panel.html"

    def __init__(self, panel: HomePanel):
        self.panel = panel
        self.name = f"home-{panel.key}"
        self.order = panel.order

    def get_context_data(self, parent_context=None):
        return {"panel": self.panel}


# Wagtail's own dashboard panels kept for people who edit pages: pages waiting for
# their review (with the approve / reject buttons) and the pages they locked.
WAGTAIL_PANELS_KEPT = {"workflow_objects_to_moderate", "locked_pages"}


def construct_homepage_panels(request, panels: list) -> None:
    """The ``construct_homepage_panels`` hook: our panels instead of Wagtail's."""
    from wagtail.admin.auth import user_has_any_page_permission

    editor = user_has_any_page_permission(request.user)
    panels[:] = [
        p for p in panels if editor and getattr(p, "name", "") in WAGTAIL_PANELS_KEPT
    ]
    panels.extend(HomePanelComponent(panel) for panel in panels_for(request))


# Menu entries nobody on this platform uses: Wagtail's help (an English editor guide
# and release notes on wagtail.org).
MENU_ITEMS_HIDDEN = {"help"}


def construct_main_menu(request, menu_items: list) -> None:
    """The ``construct_main_menu`` hook: drop what no role here can use."""
    menu_items[:] = [
        item
        for item in menu_items
        if getattr(item, "name", "") not in MENU_ITEMS_HIDDEN
    ]


def rows(items: Iterable, make) -> list[HomeRow]:
    """``make(item)`` for each item: a shorthand for the apps' panel functions."""
    return [make(item) for item in items]
