"""The peer site's content, as a Wagtail team would model NeckInfo's articles: a page per
article with its symptoms as tags (django-taggit through django-modelcluster), and an index
page whose tag route lists a tag's articles, as bakerydemo's blog index does."""

from django.core.paginator import Paginator
from django.db import models
from django.shortcuts import get_object_or_404
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import Tag, TaggedItemBase
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

ARTICLES_PER_PAGE = 20  # as on NeckInfo's symptom pages


class ArticlePageTag(TaggedItemBase):
    content_object = ParentalKey(
        "articles.ArticlePage", related_name="tagged_items", on_delete=models.CASCADE
    )


class ArticlePage(Page):
    """A condition article or an FAQ article: NeckInfo's rendered HTML as rich text."""

    kind = models.CharField(max_length=20)
    summary = models.TextField()
    body = RichTextField()
    tags = ClusterTaggableManager(through=ArticlePageTag, blank=True)

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.RelatedFields("tags", [index.SearchField("name")]),
    ]
    parent_page_types = ["articles.ArticleIndexPage"]

    def related_articles(self):
        """The five newest other live articles with this one's first tag. (Listing those that
        share any of its tags, with `distinct()`, took 50 ms at 10,000 articles: the cheap
        way, in Wagtail's favour; NeckInfo ranks them by how many symptoms they share.)"""
        first_tag = self.tags.first()
        if first_tag is None:
            return ArticlePage.objects.none()
        return (
            ArticlePage.objects.live()
            .filter(tags=first_tag)
            .exclude(pk=self.pk)
            .order_by("-pk")[:5]
        )


class ArticleIndexPage(RoutablePageMixin, Page):
    """Every article below it; /tags/<slug>/ lists the articles with that tag, A to Z."""

    subpage_types = ["articles.ArticlePage"]

    @path("tags/<slug:tag>/")
    def tag_archive(self, request, tag):
        tag = get_object_or_404(Tag, slug=tag)
        articles = (
            ArticlePage.objects.live()
            .descendant_of(self)
            .filter(tags=tag)
            .order_by("title", "pk")
            .prefetch_related("tags")  # each card's tags, in one query for the page
        )
        page = Paginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
        return self.render(
            request,
            context_overrides={"tag": tag, "page_of_articles": page},
            template="articles/tag_page.html",
        )
