"""Views of the public site that are not pages of the tree."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from cms.search import search_classes, search_pages

QUERY_MAX = 100


@require_GET
def search(request):
    """站内搜索: pages (news, courses, competitions, …) and open classes by name."""
    query = " ".join(request.GET.get("q", "").split())[:QUERY_MAX]
    page_obj, hits = search_pages(query, request.GET.get("page"), request)
    classes = search_classes(query) if query else []
    return render(
        request,
        "cms/search.html",
        {
            "query": query,
            "page_obj": page_obj,
            "page_range": (
                page_obj.paginator.get_elided_page_range(page_obj.number)
                if page_obj
                else []
            ),
            "hits": hits,
            "classes": classes,
            "seo_title": None,
        },
    )


# Addresses a search engine should not crawl: the back-office, the personal centre,
# sign-in and sign-up, the API and the search result pages (endless and thin).
ROBOTS_DISALLOW = ["/admin/", "/me/", "/accounts/", "/api/", "/search/", "/i18n/"]


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {path}" for path in ROBOTS_DISALLOW]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
