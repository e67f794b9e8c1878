"""The news list and its feeds: which news a URL selects, what the index page shows.

`/news/?category=policy&tag=电工&page=2` — category is one of NewsCategory's values,
tag a tag's name; unknown values select nothing rather than everything. The feeds at
`/news/feed/rss/` and `/news/feed/atom/` take the same filters.
"""

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _
from wagtail.images import get_image_model

from cms.models import NEWS_LISTING_IMAGE, NewsCategory, NewsPage

FEED_LENGTH = 20


def news_filters(params) -> dict:
    """The filters a query string asks for: {"category": …, "tag": …}, blanks left out."""
    filters = {}
    category = (params.get("category") or "").strip()
    if category:
        filters["category"] = category
    tag = (params.get("tag") or "").strip()
    if tag:
        filters["tag"] = tag
    return filters


def news_selection(news_index, params):
    """Live, public news under `news_index`, newest first, filtered by the query string."""
    filters = news_filters(params)
    news = (
        NewsPage.objects.child_of(news_index)
        .live()
        .public()
        .defer_streamfields()
        .order_by("-date", "-first_published_at", "-pk")
    )
    if "category" in filters:
        news = news.filter(category=filters["category"])
    if "tag" in filters:
        news = news.filter(tags__name=filters["tag"]).distinct()
    return news


def with_listing_details(news):
    """The news queryset with what a list shows fetched in a fixed number of queries:
    tags and the listing image with its rendition."""
    images = get_image_model().objects.prefetch_renditions(NEWS_LISTING_IMAGE)
    return news.select_related(None).prefetch_related(
        "tags", Prefetch("listing_image", queryset=images)
    )


def index_context(news_index, request) -> dict:
    filters = news_filters(request.GET)
    news = with_listing_details(news_selection(news_index, request.GET))
    paginator = Paginator(news, news_index.per_page)
    page_obj = paginator.get_page(request.GET.get("page"))
    items = list(page_obj)
    query = request.GET.copy()
    query.pop("page", None)
    feed_query = f"?{query.urlencode()}" if query else ""
    category_label = ""
    if "category" in filters and filters["category"] in NewsCategory.values:
        category_label = NewsCategory(filters["category"]).label
    return {
        "news_items": items,
        "page_obj": page_obj,
        "page_range": paginator.get_elided_page_range(page_obj.number),
        "filters": filters,
        "category_label": category_label,
        "categories": NewsCategory.choices,
        "feed_rss_url": news_index.url
        + news_index.reverse_subpage("feed_rss")
        + feed_query,
        "feed_atom_url": news_index.url
        + news_index.reverse_subpage("feed_atom")
        + feed_query,
    }


class NewsRssFeed(Feed):
    """The news as RSS 2.0, newest first, with the index page's filters."""

    feed_type = Rss201rev2Feed

    def __init__(self, news_index):
        super().__init__()
        self.news_index = news_index

    def get_object(self, request, *args, **kwargs):
        self.request = request
        return self.news_index

    def title(self, obj):
        filters = news_filters(self.request.GET)
        parts = [_("黔技通"), obj.title]
        if filters.get("category") in NewsCategory.values:
            parts.append(str(NewsCategory(filters["category"]).label))
        if "tag" in filters:
            parts.append(filters["tag"])
        return " · ".join(parts)

    def link(self, obj):
        return obj.get_full_url(self.request)

    def description(self, obj):
        return _("技能竞赛动态、培训政策通知和培训资讯。")

    def items(self, obj):
        return news_selection(obj, self.request.GET).prefetch_related("tags")[
            :FEED_LENGTH
        ]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.get_full_url(self.request)

    def item_guid(self, item):
        return item.get_full_url(self.request)

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at

    def item_categories(self, item):
        return [str(item.get_category_label()), *(tag.name for tag in item.tags.all())]


class NewsAtomFeed(NewsRssFeed):
    feed_type = Atom1Feed
    subtitle = NewsRssFeed.description
