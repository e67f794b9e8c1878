"""Site search that works for Chinese (issue 12): pages and the course catalogue.

Chinese is written without spaces, so the full-text search of Wagtail's database backend
(SQLite FTS5, PostgreSQL tsvector: both split text into words at spaces and punctuation)
sees 高压电工作业 as one word and a search for 电工 misses it. Every site page therefore
also indexes an n-gram form of its text (:func:`ngrams`): each run of Chinese characters
becomes its single characters and its overlapping pairs (高压电工作业 → 高 压 电 工 作 业
高压 压电 电工 工作 作业), Latin words stay whole. The query is cut the same way
(:func:`query_terms`) and every piece must match, so 电工 finds 高压电工作业, 电 finds
every text with 电 in it, and "electrician" finds the English word. A three-character
query 电工作 asks for 电工 and 工作 anywhere in the page; that can match a page where the
two pairs stand apart (an honest limit of pair indexing: results are ranked, not exact).

The n-gram field is added for every :class:`cms.models.SitePage` subclass by
``SitePage.get_search_fields`` from the fields the page type already declares as
searchable, so a new page type (NewsPage, CompetitionPage) is covered by declaring its
``search_fields`` as usual. Wagtail's signal handlers keep the index fresh on publish;
``manage.py update_index`` rebuilds it.

The catalogue part looks up open classes by their course's name with a substring match
(every term), which needs no index and works the same for Chinese on both databases.
"""

import re
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Q
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK}]+")
# A query term: a run of Chinese characters, or a run of letters and digits.
TERM = re.compile(rf"[{CJK}]+|[^\s{CJK}\W]+|\w+")

PER_PAGE = 10
CLASSES_SHOWN = 10
SNIPPET_BEFORE = 30
SNIPPET_LENGTH = 120

# What the result list calls each kind of page; others are 页面.
TYPE_LABELS = {
    "newspage": _("新闻"),
    "newsindexpage": _("新闻"),
    "coursepage": _("课程"),
    "courseindexpage": _("课程"),
    "competitionpage": _("竞赛"),
    "competitionindexpage": _("竞赛"),
    "basesindexpage": _("基地"),
    "basepage": _("基地"),
    "studiopage": _("工作室"),
}


def _cjk_ngrams(run: str) -> list[str]:
    return list(run) + [run[i : i + 2] for i in range(len(run) - 1)]


def ngrams(text: str) -> str:
    """The indexed form of ``text``: each Chinese run as its characters and pairs,
    everything else unchanged."""
    if not text:
        return ""
    return CJK_RUN.sub(lambda m: " " + " ".join(_cjk_ngrams(m.group())) + " ", text)


def query_terms(query: str) -> list[str]:
    """The pieces of a query that must all match: the pairs of each Chinese run (its
    single character when the run is one character long), Latin words whole."""
    terms: list[str] = []
    for match in TERM.finditer(query or ""):
        word = match.group()
        if CJK_RUN.fullmatch(word):
            pieces = (
                [word]
                if len(word) == 1
                else [word[i : i + 2] for i in range(len(word) - 1)]
            )
        else:
            pieces = [word.lower()]
        for piece in pieces:
            if piece not in terms:
                terms.append(piece)
    return terms


def _flatten(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _flatten(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _flatten(item)]
    return [str(value)]


def searchable_texts(obj, fields) -> list[str]:
    """The plain texts of ``obj``'s declared search fields (related objects included)."""
    from modelsearch.index import RelatedFields, SearchField

    texts: list[str] = []
    for field in fields:
        if isinstance(field, SearchField):
            if field.field_name == "search_ngrams":
                continue
            texts.extend(strip_tags(t) for t in _flatten(field.get_value(obj)))
        elif isinstance(field, RelatedFields):
            related = field.get_value(obj)
            if related is None:
                continue
            if hasattr(related, "all"):
                related = list(related.all())
            for item in related if isinstance(related, list) else [related]:
                texts.extend(searchable_texts(item, field.fields))
    return [t for t in (" ".join(t.split()) for t in texts) if t]


def snippet(text: str, terms: list[str]) -> str:
    """A short passage of ``text`` around the first term found in it."""
    lowered = text.lower()
    positions = [p for p in (lowered.find(t) for t in terms) if p >= 0]
    start = max(min(positions) - SNIPPET_BEFORE, 0) if positions else 0
    passage = text[start : start + SNIPPET_LENGTH]
    return (
        ("…" if start else "")
        + passage
        + ("…" if start + SNIPPET_LENGTH < len(text) else "")
    )


@dataclass(frozen=True)
class Hit:
    title: str
    url: str
    kind: str
    snippet: str


def type_label(page) -> str:
    return TYPE_LABELS.get(page.specific_class._meta.model_name, _("页面"))


def search_pages(query: str, page_number=None, request=None):
    """The live, public pages matching ``query``, best first, one page of results:
    (paginator page, hits of that page). Queries: count, one page of ids, one per page
    type shown."""
    from wagtail.models import Page

    terms = query_terms(query)
    if not terms:
        return None, []
    results = (
        Page.objects.live()
        .public()
        .filter(depth__gt=1)
        .search(" ".join(terms), operator="and")
    )
    page_obj = Paginator(results, PER_PAGE).get_page(page_number)
    ids = [page.pk for page in page_obj]
    specific = Page.objects.filter(pk__in=ids).specific().in_bulk()
    hits = []
    for pk in ids:
        page = specific.get(pk)
        if page is None:
            continue
        description = page.search_description or ""
        texts = searchable_texts(page, page.get_search_fields())
        body = " ".join(t for t in texts if t != page.title)
        hits.append(
            Hit(
                title=page.title,
                url=page.get_url(request) or "",
                kind=type_label(page),
                snippet=snippet(description or body, terms)
                if description
                else snippet(body, terms),
            )
        )
    return page_obj, hits


def search_classes(query: str) -> list:
    """Open classes whose course name contains every word of ``query`` (soonest first)."""
    from cms.models import course_page_urls
    from courses.selectors import class_list_open

    words = query.split()
    if not words:
        return []
    condition = Q()
    for word in words[:5]:
        condition &= Q(course__title__icontains=word) | Q(code__iexact=word)
    classes = list(
        class_list_open()
        .filter(condition)
        .order_by("start_date", "code")[:CLASSES_SHOWN]
    )
    urls = course_page_urls({c.course_id for c in classes}, None)
    for training_class in classes:
        training_class.page_url = urls.get(training_class.course_id)
    return classes
