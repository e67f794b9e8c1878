"""/sitemap.xml: the live public pages of the tree and the public addresses outside it."""

from django.contrib.sitemaps import Sitemap as DjangoSitemap
from django.urls import reverse
from wagtail.contrib.sitemaps import Sitemap as PageSitemap

# Public addresses that are not pages: certificate verification (printed on every
# certificate) and the public notice of subsidy claims (公示).
PUBLIC_VIEWS = ["certificate_query", "notice"]


class PublicViewSitemap(DjangoSitemap):
    changefreq = "daily"

    def items(self):
        return PUBLIC_VIEWS

    def location(self, item):
        return reverse(item)


SITEMAPS = {"pages": PageSitemap, "public": PublicViewSitemap}
