"""What the home page shows from the platform's records (issue 12), cached.

The whole block — classes starting soon, latest news, upcoming competitions and the key
figures — is one cache entry per language (:data:`CACHE_SECONDS`), so a warm home page
reads the cache once and runs no query for it. The key figures come from the same
indicator queries as the plan dashboard (``monitoring.summary.indicator_rows``).
"""

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language

from competitions.models import Competition, CompetitionStatus
from courses.selectors import class_list_open
from monitoring.summary import indicator_rows

CACHE_SECONDS = 300
SHOWN = 5


@dataclass(frozen=True)
class LiveItem:
    title: str
    url: str | None
    date: dt.date | None
    detail: str = ""


#: The home page's key figures: (figure, indicator query, this year only?). Each comes
#: from the indicator query the plan dashboard reads (monitoring.summary.indicator_rows),
#: counted for the whole province.
KEY_FIGURES = (
    ("person_times_this_year", "training_person_times", True),
    ("skill_talent_this_year", "skill_talent", True),
    ("certificates_valid", "certificates_valid", False),
)


def key_figures(today: dt.date | None = None) -> dict[str, int]:
    """The home page's figures, from the indicator queries (one query each):

    - ``person_times_this_year``: 职业培训人次 this calendar year — enrolments (not
      withdrawn) in classes that finished (已结业) with their end date this year; a
      person trained twice counts twice, as in the plan;
    - ``skill_talent_this_year``: 技能人才培养 this calendar year — valid 职业资格 and
      职业技能等级 certificates issued this year;
    - ``certificates_valid``: certificates valid today (not revoked, superseded or
      expired), training and skill-level alike.

    Bases and studios are not among them: the indicator queries count them by build
    or approval year, and a registry entry without one would be left out of a total.
    """
    today = today or timezone.localdate()
    figures = {}
    for name, query_key, this_year in KEY_FIGURES:
        year = today.year if this_year else None
        computed = indicator_rows(
            query_key, regions=None, year_from=year, year_to=year, by="province"
        )
        figures[name] = int(sum(row.value for row in computed.rows))
    return figures


def classes_starting_soon(today: dt.date) -> list[LiveItem]:
    """The next open classes to start, with their course page's address."""
    from cms.models import course_page_urls

    classes = list(
        class_list_open()
        .filter(start_date__gte=today)
        .order_by("start_date", "code")[:SHOWN]
    )
    urls = course_page_urls({c.course_id for c in classes}, None)
    return [
        LiveItem(
            title=c.course.title,
            url=urls.get(c.course_id),
            date=c.start_date,
            detail=c.course.institution.name,
        )
        for c in classes
    ]


def _page_model(name):
    try:
        return apps.get_model("cms", name)
    except LookupError:
        return None


def latest_news() -> list[LiveItem]:
    """The newest live, public news pages (none until the news pages exist)."""
    news_page = _page_model("NewsPage")
    if news_page is None:
        return []
    order = ["-first_published_at", "-pk"]
    if any(f.name == "date" for f in news_page._meta.concrete_fields):
        order.insert(0, "-date")  # the date the office gives the item
    pages = list(news_page.objects.live().public().order_by(*order)[:SHOWN])
    return [
        LiveItem(
            title=page.title,
            url=page.get_url(None),
            date=getattr(page, "date", None)
            or (
                timezone.localdate(page.first_published_at)
                if page.first_published_at
                else None
            ),
        )
        for page in pages
    ]


def upcoming_competitions(today: dt.date) -> list[LiveItem]:
    """Competitions in registration or scoring that have not started, soonest first,
    with their public page when there is one."""
    competitions = list(
        Competition.objects.filter(
            status__in=[CompetitionStatus.REGISTRATION, CompetitionStatus.SCORING],
            starts_on__gte=today,
        ).order_by("starts_on", "pk")[:SHOWN]
    )
    urls: dict[int, str] = {}
    competition_page = _page_model("CompetitionPage")
    if competitions and competition_page is not None:
        field = next(
            (
                f
                for f in competition_page._meta.concrete_fields
                if getattr(f, "related_model", None) is Competition
            ),
            None,
        )
        if field is not None:
            pages = (
                competition_page.objects.live()
                .public()
                .filter(**{f"{field.name}__in": [c.pk for c in competitions]})
            )
            urls = {getattr(p, field.attname): p.get_url(None) for p in pages}
    return [
        LiveItem(
            title=c.name,
            url=urls.get(c.pk),
            date=c.starts_on,
            detail=c.get_level_display(),
        )
        for c in competitions
    ]


def cache_key() -> str:
    return f"cms:home-live:{get_language()}"


def home_live_data() -> dict:
    """Everything live on the home page: one cache read when warm."""
    key = cache_key()
    data = cache.get(key)
    if data is None:
        today = timezone.localdate()
        data = {
            "classes": classes_starting_soon(today),
            "news": latest_news(),
            "competitions": upcoming_competitions(today),
            "figures": key_figures(today),
        }
        cache.set(key, data, CACHE_SECONDS)
    return data


def forget_home_live_data(**kwargs) -> None:
    """Drop the cached live block in every language (a page was published or
    unpublished); the figures still refresh on their own after CACHE_SECONDS."""
    from django.conf import settings
    from django.utils import translation

    keys = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            keys.append(cache_key())
    cache.delete_many(keys)
