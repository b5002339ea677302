"""Readers' answers to "Is this page useful?" in the admin: every answer and comment, the pages
readers found least useful first, and each article's share of "useful" answers on its list
and change page (`UsefulnessColumns`, used by the article admin).

Comments are what anonymous readers typed: shown as plain, escaped text, links never made
live. Editors and medical reviewers read them and mark them handled once acted on; handled
comments still count in the answers.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import InvalidPage, Paginator
from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from conditions.feedback import useful_share, usefulness
from conditions.models import Article, PageFeedback

PAGES_PER_REPORT_PAGE = 50
# 1.0 for a "useful" answer, 0.0 for another: their average is the share (PostgreSQL can't
# cast a boolean to a float).
ONE_IF_USEFUL = Case(
    When(useful=True, then=Value(1.0)), default=Value(0.0), output_field=FloatField()
)
COMMENTS_SHOWN_PER_PAGE = 3


class HasCommentFilter(admin.SimpleListFilter):
    title = "comment"
    parameter_name = "has_comment"

    def lookups(self, request, model_admin):
        return [("yes", "With a comment"), ("no", "Without")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(comment="")
        if self.value() == "no":
            return queryset.filter(comment="")
        return queryset


class HandledFilter(admin.SimpleListFilter):
    title = "handled"
    parameter_name = "handled"

    def lookups(self, request, model_admin):
        return [("no", "Not yet handled"), ("yes", "Handled")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(handled_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(handled_at__isnull=False)
        return queryset


@admin.register(PageFeedback)
class PageFeedbackAdmin(admin.ModelAdmin):
    list_display = ["given_on", "article_title", "answer", "comment", "handled"]
    list_display_links = None  # nothing to edit: an answer is what the reader said
    list_filter = ["useful", HasCommentFilter, HandledFilter, "given_on"]
    list_select_related = ["article", "handled_by"]
    search_fields = ["comment"]
    actions = ["mark_handled", "remove_comment_text"]
    change_list_template = "admin/conditions/pagefeedback/change_list.html"
    fields = ["article", "useful", "comment", "given_on", "handled_at", "handled_by"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def lookup_allowed(self, lookup, value, request=None):
        # The report links to one article's answers; listing every article as a filter
        # would put thousands of links in the sidebar.
        return lookup == "article__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="article", ordering="article__title")
    def article_title(self, feedback):
        return feedback.article.title

    @admin.display(description="useful?", ordering="useful")
    def answer(self, feedback):
        return "Yes" if feedback.useful else "No"

    @admin.display(description="handled")
    def handled(self, feedback):
        if feedback.handled_at is None:
            return "–"
        who = feedback.handled_by.get_username() if feedback.handled_by else "someone"
        return f"{timezone.localdate(feedback.handled_at):%d %b %Y} by {who}"

    @admin.action(description="Mark the selected comments handled", permissions=["change"])
    def mark_handled(self, request, queryset):
        marked = queryset.filter(handled_at__isnull=True).update(
            handled_at=timezone.now(), handled_by=request.user
        )
        self.message_user(request, f"{marked} marked handled.", messages.SUCCESS)

    @admin.action(
        description="Remove the selected comments' words (personal details), keeping the answers",
        permissions=["change"],
    )
    def remove_comment_text(self, request, queryset):
        # A reader may type what they were asked not to (a name, a phone number): an editor
        # can take it out at once. The Yes/No still counts; who removed it is kept.
        removed = queryset.exclude(comment="").update(
            comment="", handled_at=timezone.now(), handled_by=request.user
        )
        self.message_user(request, f"{removed} comment(s) removed.", messages.SUCCESS)

    def get_urls(self):
        report = self.admin_site.admin_view(self.least_useful_view)
        return [
            path("pages/", report, name="conditions_pagefeedback_pages"),
            *super().get_urls(),
        ]

    def least_useful_view(self, request):
        """The pages readers found least useful first, once they have enough answers to tell
        (FEEDBACK_ANSWERS_TO_RANK); the rest after them, most answered first."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        articles = (
            Article.objects.filter(live_article__isnull=True)
            .annotate(
                **usefulness("feedback"),
                open_comments=Count(
                    "feedback",
                    filter=Q(feedback__handled_at__isnull=True) & ~Q(feedback__comment=""),
                    distinct=True,
                ),
            )
            .filter(answers__gt=0)
            .annotate(
                too_few=Case(
                    When(answers__gte=settings.FEEDBACK_ANSWERS_TO_RANK, then=Value(0)),
                    default=Value(1),
                ),
                share=Cast(F("useful_answers"), FloatField()) / F("answers"),
            )
            .order_by("too_few", "share", "-answers", "title", "pk")
        )
        try:
            page = Paginator(articles, PAGES_PER_REPORT_PAGE).page(request.GET.get("page", 1))
        except InvalidPage as error:
            raise Http404("No such page") from error
        comments = _latest_open_comments([article.pk for article in page])
        for article in page:
            article.share_text = useful_share(article.useful_answers, article.answers)
            article.latest_comments = comments.get(article.pk, [])
        return TemplateResponse(
            request,
            "admin/conditions/pagefeedback/pages.html",
            {
                **self.admin_site.each_context(request),
                "title": "Pages readers found least useful",
                "opts": self.model._meta,
                "page": page,
                "answers_to_rank": settings.FEEDBACK_ANSWERS_TO_RANK,
            },
        )


def _latest_open_comments(article_ids: list[int]) -> dict[int, list[PageFeedback]]:
    """The latest comments not yet handled on each of these articles, a few each, in one
    query."""
    latest = (
        PageFeedback.objects.filter(article__in=article_ids, handled_at__isnull=True)
        .exclude(comment="")
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=F("article"),
                order_by=[F("given_on").desc(), F("pk").desc()],
            )
        )
        .filter(place__lte=COMMENTS_SHOWN_PER_PAGE)
        .order_by("article", "place")
    )
    comments: dict[int, list[PageFeedback]] = {}
    for comment in latest:
        comments.setdefault(comment.article_id, []).append(comment)
    return comments


class UsefulnessColumns:
    """The article admin's "useful" column and its "What readers said" field."""

    @staticmethod
    def with_usefulness(queryset):
        # Counted per listed row (subqueries on the article's index), not by joining every
        # answer to every article: that join doubled the list's time at 100,000 answers.
        # The share is one subquery of its own, so sorting by it costs one per article.
        answers = PageFeedback.objects.filter(article=OuterRef("pk")).order_by().values("article")
        return queryset.annotate(
            answers=Coalesce(Subquery(answers.annotate(count=Count("pk")).values("count")), 0),
            useful_share=Subquery(answers.annotate(share=Avg(ONE_IF_USEFUL)).values("share")),
        )

    @admin.display(description="useful", ordering="useful_share")
    def usefulness_column(self, article):
        if not article.answers:
            return useful_share(0, 0)
        return useful_share(round(article.useful_share * article.answers), article.answers)

    @admin.display(description="What readers said")
    def readers_feedback(self, article):
        counts = PageFeedback.objects.filter(article=article).aggregate(
            **usefulness(),
            open_comments=Count("pk", filter=Q(handled_at__isnull=True) & ~Q(comment="")),
        )
        if not counts["answers"]:
            return "No answers to “Is this page useful?” yet."
        answers_url = reverse("admin:conditions_pagefeedback_changelist")
        return format_html(
            "{} found it useful. <a href='{}?article__id__exact={}&amp;has_comment=yes"
            "&amp;handled=no'>{} comment(s) not yet handled</a>",
            useful_share(counts["useful_answers"], counts["answers"]),
            answers_url,
            article.pk,
            counts["open_comments"],
        )
