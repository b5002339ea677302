"""`/sitemap.xml`, its sections and `/robots.txt`: what search engines should crawl, and what not.

`/sitemap.xml` is a sitemap index: it lists each section's sitemap (`/sitemap-<section>.xml`,
then `?p=2` and on for a section longer than SITEMAP_PAGE_SIZE addresses) with the date its
newest page changed, so a crawler fetches only the sections that changed.

Without `django.contrib.sites` installed, Django's sitemap views take the domain and scheme
from the request (a `RequestSite`), so the addresses follow the host the site is served on.
"""

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.db.models import Max, Q
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from conditions.caching import reads_query_parameters
from conditions.models import Article, Symptom, published_q
from conditions.views import page_number

# Addresses per sitemap page. The protocol allows 50,000, but each address took 0.1 ms or more
# to render on the 2-core test machine, so a page that long would hold a worker for 5 s or
# more (and weigh 6 MB); a page of 2,000 takes about 0.25 s (bench/list_pages_bench.py).
SITEMAP_PAGE_SIZE = 2000
SLUG = "slug-of-the-article"


class ArticleSitemap(Sitemap):
    """Published articles of one kind, as of their last update."""

    kind: str
    url_name: str
    limit = SITEMAP_PAGE_SIZE

    def items(self):
        # Only what an address needs: not the articles' text.
        return (
            Article.objects.published()
            .filter(kind=self.kind)
            .only("kind", "slug", "updated_at")
            .order_by("pk")
        )

    def location(self, article):
        # The addresses differ only in their slug, and reverse() for each was a third of a
        # page's time.
        if not hasattr(self, "_address"):
            self._address = reverse(self.url_name, args=[SLUG]).split(SLUG)
        before, after = self._address
        return f"{before}{article.slug}{after}"

    def lastmod(self, article):
        return timezone.localdate(article.updated_at)

    def get_latest_lastmod(self):
        # One query, where Django's default would load every article.
        return self.items().aggregate(latest=Max("updated_at"))["latest"]


class SymptomSitemap(Sitemap):
    """Symptom pages that have published articles, as of their newest article's update."""

    limit = SITEMAP_PAGE_SIZE

    def items(self):
        # Counting symptoms' published articles is the dear part (a fifth of a second at
        # 10,000 articles), so it is done once, not again to count the items. There are a
        # few hundred symptoms: a list is small. The date comes in the same query.
        if not hasattr(self, "_symptoms"):
            self._symptoms = list(
                Symptom.objects.in_use()
                .annotate(
                    last_updated=Max(
                        "tagged_articles__content_object__updated_at",
                        filter=published_q("tagged_articles__content_object__"),
                    )
                )
                .order_by("pk")
            )
        return self._symptoms

    def lastmod(self, symptom):
        return timezone.localdate(symptom.last_updated)

    def get_latest_lastmod(self):
        # The newest published article with a symptom changed that symptom's page.
        articles = Article.objects.published().filter(tagged_symptoms__isnull=False)
        return articles.aggregate(latest=Max("updated_at"))["latest"]


class ListPageSitemap(Sitemap):
    """The home page and the A–Z lists, as of the newest update of what they list."""

    def items(self):
        if not hasattr(self, "_pages"):
            latest = Article.objects.published().aggregate(
                any_article=Max("updated_at"),
                condition=Max("updated_at", filter=Q(kind=Article.Kind.CONDITION)),
                faq=Max("updated_at", filter=Q(kind=Article.Kind.FAQ)),
            )
            self._pages = [
                ("conditions:home", latest["any_article"]),
                ("conditions:condition_list", latest["condition"]),
                ("conditions:faq_list", latest["faq"]),
                ("conditions:symptom_list", latest["any_article"]),
            ]
        return self._pages

    def location(self, page):
        url_name, _ = page
        return reverse(url_name)

    def lastmod(self, page):
        _, last_updated = page
        return timezone.localdate(last_updated) if last_updated else None

    def get_latest_lastmod(self):
        return self.items()[0][1]  # the home page's: the newest of all


class ConditionSitemap(ArticleSitemap):
    kind = Article.Kind.CONDITION
    url_name = "conditions:condition"


class FaqSitemap(ArticleSitemap):
    kind = Article.Kind.FAQ
    url_name = "conditions:faq"


# Classes, not instances: the views make one per request (Django's keep state while rendering).
SITEMAPS = {
    "pages": ListPageSitemap,
    "conditions": ConditionSitemap,
    "faqs": FaqSitemap,
    "symptoms": SymptomSitemap,
}


def sitemap_index(request):
    return sitemap_views.index(request, SITEMAPS, sitemap_url_name="sitemap_section")


@reads_query_parameters("p")
def sitemap_section(request, section: str):
    page_number(request, "p")  # "p=02" or "p=x": 404 before any query
    return sitemap_views.sitemap(
        request, SITEMAPS, section=section, template_name="conditions/sitemap.xml"
    )


def robots_txt(request):
    # The admin isn't named: its address is meant to stay out of sight
    # (DJANGO_ADMIN_PATH), and its pages tell crawlers not to index them.
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('conditions:search')}",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
