"""What deleting articles does, in an editor's words, for the delete confirmation pages (one
article, and the list's "Delete selected"): whether readers will notice (a live page
disappears), and what goes with each article (questions, sources, its working copy, readers'
answers...), instead of Django's list of database rows ("Article symptom: article 3 has
symptom 1", "Search entries")."""

from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format

from conditions.models import (
    Article,
    ConditionName,
    FaqItem,
    PageFeedback,
    PromotedResult,
    SlugRedirect,
    Source,
)

# What goes with an article, counted per article in the list's one query: (name of the
# count, model, the field naming the article, what an editor calls one, and several).
PARTS = [
    ("questions", FaqItem, "faq_id", "question", "questions"),
    ("sources", Source, "article_id", "source", "sources"),
    ("other_names", ConditionName, "article_id", "other name in the conditions A to Z",
     "other names in the conditions A to Z"),
    ("copies", Article, "live_article_id", "working copy (changes not yet published)",
     "working copies (changes not yet published)"),
    ("old_addresses", SlugRedirect, "article_id",
     "old address that redirects to it (it will show “page not found” too)",
     "old addresses that redirect to it (they will show “page not found” too)"),
    ("answers", PageFeedback, "article_id", "reader's answer to “Is this page useful?”",
     "readers' answers to “Is this page useful?”"),
    ("pins", PromotedResult, "article_id", "promoted search result pinning it",
     "promoted search results pinning it"),
]  # fmt: skip


# An article that readers can't see, as the confirmation says it: "This article is a draft".
STATES = {
    Article.Status.DRAFT: "a draft",
    Article.Status.IN_REVIEW: "in review",
    Article.Status.UNPUBLISHED: "unpublished",
}


@dataclass
class ArticleDeletion:
    article: Article
    live: bool
    # What readers will notice, in a sentence.
    for_readers: str
    # What is deleted with it: "3 questions", "its working copy (…)".
    goes_with_it: list[str] = field(default_factory=list)


def _count(model, article_field: str):
    rows = model.objects.filter(**{article_field: OuterRef("pk")}).order_by()
    counted = rows.values(article_field).annotate(number=Count("pk")).values("number")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def what_deleting_does(articles) -> list[ArticleDeletion]:
    """For each of `articles` (an article, or several), what deleting it does: one query."""
    ids = [articles.pk] if isinstance(articles, Article) else [a.pk for a in articles]
    counted = Article.objects.filter(pk__in=ids).annotate(
        **{f"number_of_{name}": _count(model, fk) for name, model, fk, _, _ in PARTS}
    )
    return [_described(article) for article in counted.order_by("title", "pk")]


def _described(article: Article) -> ArticleDeletion:
    address = article.get_absolute_url()
    if article.is_working_copy:
        for_readers = (
            "This is a working copy: readers never see it, and the live page stays as it is."
        )
    elif article.is_public:
        for_readers = (
            f"This article is live: it will disappear from the site and its address "
            f"({address}) will show “page not found”. It also leaves search results, its "
            "symptoms' pages, the A to Z and the feed."
        )
    elif article.is_scheduled:
        when = date_format(timezone.localtime(article.published_at), "j F Y, H:i")
        for_readers = f"This article is scheduled to go live on {when}: it never will."
    else:
        state = STATES.get(article.status, article.get_status_display().lower())
        for_readers = f"This article is {state}: readers can't see it, so nothing changes for them."
    goes = []
    for name, _, _, one, several in PARTS:
        number = getattr(article, f"number_of_{name}")
        if number:
            goes.append(f"its {one}" if number == 1 else f"its {number} {several}")
    return ArticleDeletion(article, article.is_public, for_readers, goes)
