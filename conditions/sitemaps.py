"""`/sitemap.xml` and `/robots.txt`: what search engines should crawl, and what not.

Without `django.contrib.sites` installed, Django's sitemap view takes the domain and scheme
from the request (a `RequestSite`), so the addresses follow the host the site is served on.
"""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.http import HttpResponse
from django.urls import reverse

from conditions.models import Article, Symptom, published_q


class ArticleSitemap(Sitemap):
    def items(self):
        return Article.objects.published().order_by("pk")

    def lastmod(self, article):
        return article.updated_at


class SymptomSitemap(Sitemap):
    """Symptom pages that have published articles, as of their newest article's update."""

    def items(self):
        # The date comes with the symptoms in the same query: no query per symptom.
        return (
            Symptom.objects.in_use()
            .annotate(
                last_updated=Max(
                    "tagged_articles__content_object__updated_at",
                    filter=published_q("tagged_articles__content_object__"),
                )
            )
            .order_by("pk")
        )

    def lastmod(self, symptom):
        return symptom.last_updated


class ListPageSitemap(Sitemap):
    """The home page and the A–Z lists, as of the newest update of what they list."""

    def items(self):
        latest = Article.objects.published().aggregate(
            any_article=Max("updated_at"),
            condition=Max("updated_at", filter=Q(kind=Article.Kind.CONDITION)),
            faq=Max("updated_at", filter=Q(kind=Article.Kind.FAQ)),
        )
        return [
            ("conditions:home", latest["any_article"]),
            ("conditions:condition_list", latest["condition"]),
            ("conditions:faq_list", latest["faq"]),
            ("conditions:symptom_list", latest["any_article"]),
        ]

    def location(self, page):
        url_name, _ = page
        return reverse(url_name)

    def lastmod(self, page):
        _, last_updated = page
        return last_updated


SITEMAPS = {"pages": ListPageSitemap, "articles": ArticleSitemap, "symptoms": SymptomSitemap}


def robots_txt(request):
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('admin:index')}",
        f"Disallow: {reverse('conditions:search')}",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
