"""NeckInfo's content: symptoms, and the condition and FAQ articles tagged with them.

`Article` holds what every article has (title, slug, summary, publishing, symptoms), so
listings, symptom pages and related articles read one table whatever the article type.
`ConditionArticle` and `FaqArticle` add their own content on top (multi-table inheritance).
"""

import operator
from pathlib import Path

import reversion
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, Max, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from taggit.managers import TaggableManager
from taggit.models import ItemBase, TagBase

from conditions import leftovers, readability
from conditions.addresses import page_address
from conditions.fields import WrittenTextField
from conditions.image_references import PageImages, lead_image_shown
from conditions.markdown import render_markdown, section_headings

REVIEW_INTERVAL_YEARS = 3


def review_due_after(reviewed_on):
    """When a review done on `reviewed_on` falls due again (29 February moves to 28th)."""
    try:
        return reviewed_on.replace(year=reviewed_on.year + REVIEW_INTERVAL_YEARS)
    except ValueError:
        return reviewed_on.replace(year=reviewed_on.year + REVIEW_INTERVAL_YEARS, day=28)


# Articles compared per symptom when finding an article's related articles (the newest
# carrying it): see ArticleQuerySet.related_to.
RELATED_CANDIDATES = 200


def published_q(prefix: str = "") -> Q:
    """The one definition of "public": published, with a publish time that has come.

    `prefix` lets a query on a related model apply the same rule, e.g.
    `published_q("tagged_articles__content_object__")` from Symptom.
    """
    return Q(
        **{
            f"{prefix}status": Article.Status.PUBLISHED,
            f"{prefix}published_at__lte": timezone.now(),
        }
    )


# Lists of articles in pages: by title, then by id, as articles may share a title and the
# database could order those differently for each page, showing one twice and another never.
# The index article_title_order_public (Article.Meta) is in this order.
IN_TITLE_ORDER = (Lower("title"), "pk")


def scheduled_q(prefix: str = "") -> Q:
    """Published, with a publish time still to come: public when that time comes."""
    return Q(
        **{
            f"{prefix}status": Article.Status.PUBLISHED,
            f"{prefix}published_at__gt": timezone.now(),
        }
    )


# The comparisons published_q() and scheduled_q() make, for checking one article in memory.
_COMPARISONS = {"exact": operator.eq, "lte": operator.le, "gt": operator.gt}


def _holds_for(condition: Q, article: "Article") -> bool:
    """Whether `article` as it is in memory (unsaved, in the admin's preview) meets
    `condition`, without a query. `condition` must be field lookups joined by AND."""
    if condition.connector != Q.AND or condition.negated:
        raise ValueError(f"Only field lookups joined by AND can be checked in memory: {condition}")
    for lookup, value in condition.children:
        field, _, comparison = lookup.partition("__")
        actual = getattr(article, field)
        # As in SQL, an empty field meets no comparison.
        if actual is None or not _COMPARISONS[comparison or "exact"](actual, value):
            return False
    return True


class SymptomQuerySet(models.QuerySet):
    def with_article_counts(self) -> "SymptomQuerySet":
        """Annotate `article_count`: how many *published* articles carry each symptom."""
        return self.annotate(
            article_count=Count(
                "tagged_articles",
                filter=published_q("tagged_articles__content_object__"),
                distinct=True,
            )
        )

    def in_use(self) -> "SymptomQuerySet":
        """Symptoms that at least one published article carries, with their counts."""
        return self.with_article_counts().filter(article_count__gt=0)


class Symptom(TagBase):
    """A symptom readers look for, and the tag vocabulary articles are labelled with."""

    description = WrittenTextField(
        blank=True,
        help_text="One or two plain sentences describing the symptom, shown on its page.",
    )
    synonyms = WrittenTextField(
        blank=True,
        help_text="Other words readers use for it, separated by commas "
        "(for Dizziness: vertigo, light-headedness). Used to tag imported articles.",
    )

    class RedFlagLevel(models.TextChoices):
        URGENT = "urgent", "Urgent: urgent GP appointment or call 111"
        EMERGENCY = "emergency", "Emergency: call 999 or go to A&E"

    # Written once here, shown in the matching callout of every article with this symptom.
    red_flag_advice = WrittenTextField(
        "red-flag advice",
        blank=True,
        help_text="When this symptom needs urgent or emergency care, e.g. “a severe headache "
        "with a stiff neck and a high temperature”. Markdown. Shown on every article with "
        "this symptom.",
    )
    red_flag_level = models.CharField(
        max_length=20, choices=RedFlagLevel.choices, default=RedFlagLevel.EMERGENCY
    )
    red_flag_advice_html = models.TextField(editable=False, default="")
    # A change to the reviewed text above (description, red-flag advice and level) waiting
    # for a medical reviewer's approval (see conditions.symptom_review). Readers see the
    # approved text until then; `proposed_at` is set while a proposal is pending.
    proposed_description = WrittenTextField(blank=True, editable=False)
    proposed_red_flag_advice = WrittenTextField(blank=True, editable=False)
    proposed_red_flag_level = models.CharField(
        max_length=20, choices=RedFlagLevel.choices, blank=True, editable=False
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    proposed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Who saved it last and when: the symptom's form refuses to save over a change made
    # after it was opened (see conditions.forms).
    updated_at = models.DateTimeField("last updated", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = SymptomQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="unique_symptom_name_ignoring_case",
                violation_error_message="A symptom with this name already exists "
                "(names ignore capital letters).",
            )
        ]

    def save(self, *args, **kwargs):
        self.red_flag_advice_html = render_markdown(self.red_flag_advice)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return page_address("conditions:symptom", self.slug)

    @property
    def has_proposal(self) -> bool:
        """Whether a change to its reviewed text is waiting for approval."""
        return self.proposed_at is not None

    @property
    def synonym_list(self) -> list[str]:
        return [word.strip() for word in self.synonyms.split(",") if word.strip()]

    @property
    def terms(self) -> list[str]:
        """The name and every synonym: the words that mean this symptom."""
        return [self.name, *self.synonym_list]


class ArticleQuerySet(models.QuerySet):
    def published(self) -> "ArticleQuerySet":
        """What the public may see. Every public view starts here, so a draft can't leak."""
        return self.filter(published_q())

    def visible_to(self, user) -> "ArticleQuerySet":
        """Published articles; staff also see drafts (the page then says it is not public)."""
        return self if user.is_staff else self.published()

    def needing_editing(self) -> "ArticleQuerySet":
        """Articles whose text, or whose working copy's text, has scraped leftovers: how the
        admin's list (a working copy shown as its live article's row) and home page count."""
        copy_needs_editing = Article.objects.filter(live_article=models.OuterRef("pk")).exclude(
            editing_problems=""
        )
        return self.filter(~Q(editing_problems="") | models.Exists(copy_needs_editing))

    def for_cards(self) -> "ArticleQuerySet":
        """Only the columns an article's card shows (conditions/templatetags/cards.py): a
        list page sorts and reads no more (0.3–0.4 ms less for a narrowed symptom page's 20
        cards at 10,000 articles). A card reading another column would cost a query each:
        the list pages' query-count tests would fail."""
        return self.only("kind", "title", "slug", "summary", "lead_image_shown")

    def with_symptoms(self) -> "ArticleQuerySet":
        # One query for all rows' symptoms; templates must iterate `article.symptoms.all`
        # (not taggit's `.names()`, which ignores the prefetch).
        return self.prefetch_related("symptoms")

    def narrowed_by(self, symptoms) -> "ArticleQuerySet":
        """Articles that carry every one of `symptoms` (a join per symptom, one query)."""
        queryset = self
        for symptom in symptoms:
            queryset = queryset.filter(tagged_symptoms__tag=symptom)
        return queryset

    def related_to(self, article: "Article", symptoms=None) -> "ArticleQuerySet":
        """Other articles sharing symptoms with `article`, most shared symptoms first.

        `symptoms` stands in for the article's own (a preview of unsaved changes). Only the
        newest RELATED_CANDIDATES articles carrying each symptom are compared (their shared
        symptoms counted in full): counting every article sharing a common symptom took
        50 to 190 ms a page at 100,000 articles, and grew with them. Read with only what the
        list of related articles shows (title, kind and address): the rows grouped and
        sorted held every column of each candidate, 0.6–1 ms more at 10,000 articles.
        """
        if symptoms is None:
            symptoms = article.symptoms.all()
        symptom_ids = [symptom.pk for symptom in symptoms]
        # One subquery per symptom, each read backwards from the (tag, article) index.
        newest = " UNION ".join(
            f"SELECT * FROM (SELECT content_object_id FROM conditions_taggedarticle "
            f"WHERE tag_id = %s ORDER BY content_object_id DESC LIMIT %s) AS newest_{number}"
            for number in range(len(symptom_ids))
        )
        if not newest:
            return self.none()
        params = [value for pk in symptom_ids for value in (pk, RELATED_CANDIDATES)]
        return (
            self.filter(pk__in=RawSQL(newest, params), tagged_symptoms__tag__in=symptom_ids)
            # Nor, for a working copy's preview, the live page it will replace.
            .exclude(pk__in=[pk for pk in (article.pk, article.live_article_id) if pk])
            .annotate(shared_symptoms=Count("tagged_symptoms"))
            .order_by("-shared_symptoms", "-updated_at", "title")
            .only("kind", "title", "slug")
        )


class TaggedArticle(ItemBase):
    """Links an article to one of its symptoms (django-taggit's through model)."""

    content_object = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="tagged_symptoms"
    )
    tag = models.ForeignKey(Symptom, on_delete=models.CASCADE, related_name="tagged_articles")

    class Meta:
        verbose_name = "article symptom"
        # A symptom's articles, read from the index alone: counting them and the other
        # symptoms they carry (conditions.narrowing) without a visit to each row.
        indexes = [models.Index(fields=["tag", "content_object"], name="symptom_articles")]
        constraints = [
            models.UniqueConstraint(
                fields=["content_object", "tag"], name="unique_symptom_per_article"
            )
        ]

    def __str__(self) -> str:
        # taggit's version loads the article and the symptom; revision history calls this
        # for every tag of every saved article.
        return f"article {self.content_object_id} has symptom {self.tag_id}"


class SharedSymptoms(models.Model):
    """How many articles marked published carry both `symptom` and `other`, kept up to date
    as content changes (conditions.narrowing.recount_shared_symptoms, called by
    conditions.signals): a symptom page's "Also have…" counts and the symptoms A to Z read
    these rows instead of counting a common symptom's articles (4 ms on SQLite and 10 ms on
    PostgreSQL at 10,000 articles, growing with them). Each pair is stored both ways round,
    and `other` == `symptom` counts the symptom's own articles.

    "Marked published" includes articles scheduled for later: readers' counts subtract those
    (there are few, found by index), as no row changes when a publish time comes.
    """

    symptom = models.ForeignKey(Symptom, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Symptom, on_delete=models.CASCADE, related_name="+")
    article_count = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = "shared symptoms"
        constraints = [
            models.UniqueConstraint(fields=["symptom", "other"], name="unique_symptom_pair")
        ]
        # Each symptom's own count (the symptoms A to Z, the home page, the search filter),
        # read without going through every pair (1.5 ms at 10,000 articles on SQLite).
        indexes = [
            models.Index(
                fields=["symptom", "article_count"],
                condition=Q(other=F("symptom")),
                name="symptom_own_count",
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_count} articles have symptoms {self.symptom_id} and {self.other_id}"


class NarrowedSymptoms(models.Model):
    """How many articles marked published carry `first`, `second` and `other`, kept up to date
    as content changes (conditions.narrowing.recount_shared_symptoms, with SharedSymptoms),
    for the pairs of symptoms that many articles share (narrowing.KEEP_NARROWED_FROM or
    more): a symptom page narrowed by such a pair reads these rows instead of counting its
    articles' symptoms (19 ms for the 5,372 articles of headache and neck pain at 100,000 on
    SQLite). `first` is the one with the lower id; `other` == `first` counts the pair's own
    articles. A pair without rows is counted live. Scheduled articles are counted and taken
    off by readers, as in SharedSymptoms."""

    first = models.ForeignKey(Symptom, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Symptom, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Symptom, on_delete=models.CASCADE, related_name="+")
    article_count = models.PositiveIntegerField()

    class Meta:
        verbose_name_plural = "narrowed symptoms"
        constraints = [
            models.UniqueConstraint(
                fields=["first", "second", "other"], name="unique_narrowed_symptoms"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.article_count} articles have symptoms {self.first_id}, {self.second_id} "
            f"and {self.other_id}"
        )


def first_free(base: str, taken: set[str]) -> str:
    """`base`, or the first of `base-2`, `base-3`… that isn't in `taken`."""
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


class Article(models.Model):
    """What every article has: the parts listings, symptom pages and search show."""

    class Kind(models.TextChoices):
        CONDITION = "condition", "Condition"
        FAQ = "faq", "FAQ"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"

    kind = models.CharField(max_length=20, choices=Kind.choices, editable=False)
    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        blank=True,
        help_text="The last part of the page's address. Filled in from the title.",
    )
    summary = WrittenTextField(
        max_length=400,
        help_text="One or two plain sentences, shown in listings and to search engines.",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(
        "publish time",
        null=True,
        blank=True,
        help_text="Filled in when the article is first published. A time in the future "
        "schedules it: the article appears on the site at that time.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField("last updated", auto_now=True, db_index=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    reviewed_by = models.CharField(
        "medically reviewed by",
        max_length=200,
        blank=True,
        help_text="Name and credentials, as readers should see them, "
        "e.g. Dr Asha Patel, MRCGP (general practitioner).",
    )
    last_reviewed_on = models.DateField("last reviewed", null=True, blank=True)
    # Who recorded the sign-off, and a fingerprint of the content they signed off: any change
    # to the content afterwards voids it (see conditions.editorial.content_fingerprint).
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    signed_off_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # Who last changed what readers read (not the state or the review dates): the reviewer
    # who signs off must be someone else.
    content_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    next_review_due = models.DateField(
        null=True,
        blank=True,
        help_text=f"Left empty, it is set to {REVIEW_INTERVAL_YEARS} years after the review.",
    )
    reading_grade = models.FloatField(
        "reading grade",
        null=True,
        blank=True,
        editable=False,
        help_text="Flesch–Kincaid grade level of the whole article; aim for 8 or lower.",
    )
    # The file an article was imported from, so that importing it again updates the
    # article instead of adding a duplicate.
    import_source = models.CharField(
        max_length=255, unique=True, null=True, blank=True, editable=False
    )
    # Scraped leftovers in the text ("Read More", "…" where text was cut), a line each naming
    # the part: while there are any the admin shows the article as needing editing. Worked out
    # from the text on every save (see conditions.leftovers), so fixing the text clears it.
    editing_problems = models.TextField("needs editing", blank=True, default="", editable=False)
    # Set on a working copy: the live article whose changes it holds until a reviewer
    # publishes them (see conditions.working_copies). A working copy is never published
    # itself, so every public path keeps showing the live article.
    live_article = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="working_copies",
    )
    # When a reviewer scheduled this working copy to be published (by `publish_scheduled`).
    publish_copy_at = models.DateTimeField(null=True, blank=True, editable=False)
    publish_copy_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # A picture at the top of the page, in lists, and in link previews (Open Graph, JSON-LD).
    # PROTECT: deleting it would leave live pages showing renditions that are gone; the
    # library's delete page lists the articles instead. What it shows, like the text's
    # images, is a part of the content a sign-off covers (conditions.editorial).
    lead_image = models.ForeignKey(
        "Image",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lead_image_of",
        help_text="Optional. Shown at the top of the page, beside it in lists, and when the "
        "page is shared.",
    )
    # The lead image as readers get it, made on save like the HTML of the text (see
    # conditions.image_references.lead_image_shown), so a live page keeps the image it was
    # published with and lists show it without a query.
    lead_image_shown = models.JSONField(editable=False, default=dict)

    symptoms = TaggableManager(
        through=TaggedArticle,
        blank=True,
        related_name="articles",
        help_text="The symptoms this article covers.",
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["status", "published_at"]),
            # The A–Z order of the lists (IN_TITLE_ORDER): PostgreSQL reads a common symptom's
            # first page in this order instead of sorting all its articles (and SQLite when
            # told to: narrowing.in_title_order). With whether each is public, so that the
            # articles stepped past are checked in the index, not read: the 50th page of the
            # most common symptom at 100,000 articles read 4,000 rows for 20 (SQLite: 16.4
            # against 7.6 ms for that query).
            models.Index(
                Lower("title"), "id", "status", "published_at", name="article_title_order_public"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["live_article"], name="one_working_copy_per_article"),
            # Its changes go live on the live article's row, never on its own.
            models.CheckConstraint(
                condition=Q(live_article__isnull=True) | ~Q(status="published"),
                name="working_copy_is_never_published",
            ),
        ]
        permissions = [
            ("publish_article", "Can publish, unpublish and schedule articles"),
            ("sign_off_review", "Can sign off medical reviews"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._free_slug()
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        if self.last_reviewed_on and not self.next_review_due:
            self.next_review_due = review_due_after(self.last_reviewed_on)
        previous_slug = (
            Article.objects.filter(pk=self.pk).values_list("slug", flat=True).first()
            if self.pk
            else None
        )
        super().save(*args, **kwargs)
        self._keep_old_address(previous_slug)

    def get_absolute_url(self) -> str:
        name = "conditions:condition" if self.kind == self.Kind.CONDITION else "conditions:faq"
        return page_address(name, self.slug)

    def clean(self):
        taken_by = (
            SlugRedirect.objects.filter(old_slug=self.slug)
            .exclude(article_id=self.pk)
            .select_related("article")
            .first()
        )
        if self.slug and taken_by:
            raise ValidationError(
                {
                    "slug": f"This address still redirects to “{taken_by.article.title}”, "
                    "which used to have it. Choose another."
                }
            )

    def _keep_old_address(self, previous_slug: str | None) -> None:
        """After a change of slug, make the old address of a published article redirect."""
        # The live article wins over a redirect using its slug (e.g. taking back its own).
        SlugRedirect.objects.filter(old_slug=self.slug).delete()
        if previous_slug and previous_slug != self.slug and self.published_at is not None:
            SlugRedirect.objects.update_or_create(
                old_slug=previous_slug, defaults={"article": self}
            )

    def _free_slug(self) -> str:
        """A slug made from the title, numbered (-2, -3…) when another article has it.

        A slug that still redirects to another article counts as taken.
        """
        base = self.slug_base(self.title)
        taken = set(
            Article.objects.filter(slug__startswith=base)
            .exclude(pk=self.pk)
            .values_list("slug", flat=True)
        ) | set(
            SlugRedirect.objects.filter(old_slug__startswith=base)
            .exclude(article_id=self.pk)
            .values_list("old_slug", flat=True)
        )
        return first_free(base, taken)

    @staticmethod
    def slug_base(title: str) -> str:
        """The slug made from `title`, before a number is added to tell it from a taken one."""
        return slugify(title)[:190].strip("-") or "article"

    @property
    def is_working_copy(self) -> bool:
        return self.live_article_id is not None

    @property
    def needs_editing(self) -> list[str]:
        """The scraped leftovers an editor should deal with, one line each (none: fine)."""
        return self.editing_problems.splitlines()

    @property
    def is_public(self) -> bool:
        return _holds_for(published_q(), self)

    @property
    def is_scheduled(self) -> bool:
        """Published, but with a publish time still to come."""
        return _holds_for(scheduled_q(), self)

    @property
    def review_is_overdue(self) -> bool:
        return self.next_review_due is not None and self.next_review_due < timezone.localdate()

    def publish(self) -> None:
        self.status = self.Status.PUBLISHED
        self.save()

    def unpublish(self) -> None:
        self.status = self.Status.UNPUBLISHED
        self.save()

    def sign_off_review(self, reviewed_by: str, on=None) -> None:
        """Record a medical review today (or `on`), due again in three years."""
        self.reviewed_by = reviewed_by
        self.last_reviewed_on = on or timezone.localdate()
        self.next_review_due = review_due_after(self.last_reviewed_on)
        self.save()

    def specific(self) -> "Article":
        """This article as its own type (ConditionArticle or FaqArticle)."""
        model = ConditionArticle if self.kind == self.Kind.CONDITION else FaqArticle
        return self if isinstance(self, model) else model.objects.get(pk=self.pk)


# A condition's care advice, in its three levels (the Markdown fields after the body).
CARE_ADVICE_FIELDS = ["when_to_get_medical_help", "urgent_help", "emergency_help"]


class ConditionArticle(Article):
    """A question or condition: introduction and sections in the body, then when to get help."""

    # What the condition is called, where the title is a question ("What causes…?"): the
    # conditions A–Z lists the article under it (under its title while it is empty).
    condition_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="The condition's plain name, e.g. “Cervical spondylosis”. The conditions "
        "A to Z lists the article under it, or under its title if left empty. Its other "
        "names, and the conditions its sections explain, are listed under “Other names” below.",
    )
    body = WrittenTextField(
        help_text="The introduction and sections, in Markdown. Start each section with "
        "a heading line such as `## Poor posture`."
    )
    # When to get medical help, in the three levels readers know from the NHS website. Each
    # is Markdown (usually a short list) and shown as its own callout.
    when_to_get_medical_help = WrittenTextField(
        "non-urgent: see a GP if",
        blank=True,
        help_text="Shown under “Non-urgent advice: see a GP if:”. In Markdown, e.g. a list.",
    )
    urgent_help = WrittenTextField(
        "urgent: urgent GP appointment or call 111 if",
        blank=True,
        help_text="Shown under “Urgent advice: ask for an urgent GP appointment or call 111 if:”.",
    )
    emergency_help = WrittenTextField(
        "emergency: call 999 or go to A&E if",
        blank=True,
        help_text="Shown under “Immediate action required: call 999 or go to A&E if:”.",
    )
    body_html = models.TextField(editable=False, default="")
    when_to_get_medical_help_html = models.TextField(editable=False, default="")
    urgent_help_html = models.TextField(editable=False, default="")
    emergency_help_html = models.TextField(editable=False, default="")
    # The body's headings, for the "On this page" list: [{"id": ..., "name": ...}].
    contents = models.JSONField(editable=False, default=list)

    class Meta:
        verbose_name = "condition article"
        # The conditions A–Z reads a page of names from these (conditions.condition_names).
        indexes = [models.Index(Lower("condition_name"), name="condition_name_order")]

    def save(self, *args, **kwargs):
        self.render_markdown()
        self.reading_grade = self.readability().overall
        self.editing_problems = "\n".join(leftovers.editing_problems(self.named_parts()))
        super().save(*args, **kwargs)

    def named_parts(self) -> list[tuple[str, str]]:
        """The text of each part an editor writes, with the name the admin gives it."""
        return [
            ("Title", self.title),
            ("Summary", self.summary),
            ("Body", self.body),
            ("Non-urgent advice", self.when_to_get_medical_help),
            ("Urgent advice", self.urgent_help),
            ("Emergency advice", self.emergency_help),
        ]

    def readability(self) -> readability.ReadabilityReport:
        return readability.report_for_condition(self.title, self.body, self.medical_help_text)

    @property
    def medical_help_text(self) -> str:
        """All three levels of "when to get medical help", as one Markdown text."""
        levels = [self.when_to_get_medical_help, self.urgent_help, self.emergency_help]
        return "\n\n".join(level for level in levels if level.strip())

    @property
    def also_called(self) -> list[str]:
        """The names the condition is also called: its other names that aren't a section's."""
        return [other.name for other in self.other_names.all() if not other.section]

    def render_markdown(self) -> None:
        """Fill in the HTML fields from the Markdown ones (on save, and for previews), with
        the library's images as they are now."""
        self.kind = Article.Kind.CONDITION
        texts = [self.body, *(getattr(self, name) for name in CARE_ADVICE_FIELDS)]
        images = PageImages.for_texts(texts, lead_image_id=self.lead_image_id)
        self.lead_image_shown = lead_image_shown(images.images.get(self.lead_image_id))
        self.body_html = render_markdown(self.body, images)
        self.contents = section_headings(self.body_html)
        for name in CARE_ADVICE_FIELDS:
            setattr(self, f"{name}_html", render_markdown(getattr(self, name), images))


class FaqArticle(Article):
    """A page of questions and answers."""

    intro = WrittenTextField(blank=True, help_text="Optional introduction, in Markdown.")
    intro_html = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = "FAQ article"

    def save(self, *args, **kwargs):
        self.render_markdown()
        questions = self.questions_and_answers()
        self.reading_grade = self.readability(questions).overall
        self.editing_problems = self.find_editing_problems(questions)
        super().save(*args, **kwargs)

    def questions_and_answers(self) -> list[tuple[str, str]]:
        return list(self.items.values_list("question", "answer")) if self.pk else []

    def readability(self, questions=None) -> readability.ReadabilityReport:
        if questions is None:
            questions = self.questions_and_answers()
        return readability.report_for_faq(self.title, self.intro, questions)

    def find_editing_problems(self, questions: list[tuple[str, str]]) -> str:
        """The scraped leftovers in the FAQ's text and its `questions`, a line each."""
        parts = [("Title", self.title), ("Summary", self.summary), ("Introduction", self.intro)]
        for question, answer in questions:
            short = question if len(question) <= 60 else f"{question[:59]}…"
            parts += [(f"Question “{short}”", question), (f"Answer to “{short}”", answer)]
        return "\n".join(leftovers.editing_problems(parts))

    def render_markdown(self) -> None:
        """Fill in the HTML fields from the Markdown ones (on save, and for previews), with
        the library's images as they are now. (Each question renders its own answer.)"""
        self.kind = Article.Kind.FAQ
        images = PageImages.for_texts([self.intro], lead_image_id=self.lead_image_id)
        self.lead_image_shown = lead_image_shown(images.images.get(self.lead_image_id))
        self.intro_html = render_markdown(self.intro, images)

    def refresh_from_questions(self) -> None:
        """Re-grade and look for leftovers again after the questions changed (they are saved
        after the article)."""
        questions = self.questions_and_answers()
        Article.objects.filter(pk=self.pk).update(
            reading_grade=self.readability(questions).overall,
            editing_problems=self.find_editing_problems(questions),
        )


# The most questions an FAQ article may have. The admin's FAQ form posts six fields for each
# question and Django refuses a form of more than 1,000 fields (DATA_UPLOAD_MAX_NUMBER_FIELDS),
# so a longer FAQ couldn't be edited there; nor would readers get to the end of it.
MAX_QUESTIONS = 100


class FaqItem(models.Model):
    """One question and its answer on an FAQ article."""

    faq = models.ForeignKey(FaqArticle, on_delete=models.CASCADE, related_name="items")
    question = models.CharField(max_length=300)
    answer = WrittenTextField(help_text="In Markdown.")
    answer_html = models.TextField(editable=False, default="")
    position = models.PositiveIntegerField(
        blank=True,
        default=None,
        help_text="Questions are shown in this order, lowest first. Leave empty to add at the end.",
    )
    anchor = models.SlugField(
        max_length=80,
        blank=True,
        help_text="The link target for this question (…/#anchor). Made from the question "
        "when first saved and then kept, so shared links keep working.",
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "question"
        constraints = [
            models.UniqueConstraint(fields=["faq", "anchor"], name="unique_anchor_per_faq")
        ]

    def __str__(self) -> str:
        return self.question

    def save(self, *args, **kwargs):
        self.render_markdown()
        if self.position is None:
            last = FaqItem.objects.filter(faq_id=self.faq_id).aggregate(Max("position"))
            self.position = (last["position__max"] or 0) + 1
        if not self.anchor:
            self.anchor = self._free_anchor()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"{self.faq.get_absolute_url()}#{self.anchor}"

    def render_markdown(self) -> None:
        # Below the FAQ's introduction: its images load as the reader scrolls to them.
        images = PageImages.for_texts([self.answer])
        images.eager_left = False
        self.answer_html = render_markdown(self.answer, images)

    def _free_anchor(self) -> str:
        taken = set(
            FaqItem.objects.filter(faq_id=self.faq_id)
            .exclude(pk=self.pk)
            .values_list("anchor", flat=True)
        )
        return FaqItem.free_anchor(self.question, taken)

    @staticmethod
    def free_anchor(question: str, taken: set[str]) -> str:
        """An anchor made from `question`, numbered (-2, -3…) when one in `taken` has it."""
        return first_free(slugify(question)[:70].strip("-") or "question", taken)


class Source(models.Model):
    """A reference an article is based on, listed at the end of its page."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True, help_text="e.g. NHS, NICE, BMJ.")
    url = models.URLField("address", max_length=500, blank=True)
    accessed_on = models.DateField("date accessed", null=True, blank=True)
    position = models.PositiveIntegerField(default=0, help_text="Lower numbers come first.")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class SlugRedirect(models.Model):
    """An address a published article had before its slug changed; it redirects for good."""

    old_slug = models.SlugField(max_length=200, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="slug_redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.old_slug} → {self.article.slug}"


class SymptomRedirect(models.Model):
    """The slug of a renamed or merged-away symptom, redirecting to the symptom now used."""

    old_slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    symptom = models.ForeignKey(Symptom, on_delete=models.CASCADE, related_name="redirects")
    # The id of a merged-away symptom: old revisions of articles still name it, and restoring
    # one tags the article with the symptom it was merged into instead.
    former_symptom_id = models.BigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.old_slug} → {self.symptom.slug}"


class AuditEvent(models.Model):
    """Who published, unpublished, restored, merged or signed off what, and when."""

    class Action(models.TextChoices):
        CREATED = "created", "Created an article"
        SAVED = "saved", "Saved an article"
        SUBMITTED = "submitted", "Submitted for review"
        PUBLISHED = "published", "Published"
        SCHEDULED = "scheduled", "Scheduled"
        UNPUBLISHED = "unpublished", "Unpublished"
        RESTORED = "restored", "Restored a revision"
        RECOVERED = "recovered", "Recovered a deleted article"
        DELETED = "deleted", "Deleted an article"
        REVIEW_SIGNED_OFF = "review_signed_off", "Signed off medical review"
        SYMPTOMS_MERGED = "symptoms_merged", "Merged symptoms"
        SYMPTOM_RENAMED = "symptom_renamed", "Renamed a symptom"
        SYMPTOM_DELETED = "symptom_deleted", "Deleted a symptom"
        RED_FLAGS_CHANGED = "red_flags_changed", "Changed a symptom's red-flag advice"
        CHANGES_REQUESTED = "changes_requested", "Requested changes"
        RED_FLAGS_PROPOSED = "red_flags_proposed", "Proposed a change to a symptom's advice"
        RED_FLAGS_APPROVED = "red_flags_approved", "Approved a change to a symptom's advice"
        RED_FLAGS_REJECTED = "red_flags_rejected", "Rejected a change to a symptom's advice"
        COPY_STARTED = "copy_started", "Started a working copy"
        COPY_SAVED = "copy_saved", "Saved a working copy"
        COPY_PUBLISHED = "copy_published", "Published a working copy"
        COPY_SCHEDULED = "copy_scheduled", "Scheduled a working copy"
        COPY_DISCARDED = "copy_discarded", "Discarded a working copy"
        RESTORED_INTO_COPY = "restored_into_copy", "Restored a revision into a working copy"
        IMPORTED = "imported", "Imported from a file"
        SHARE_LINK_CREATED = "share_link_created", "Shared a preview link"
        SHARE_LINK_REVOKED = "share_link_revoked", "Revoked a preview link"

    action = models.CharField(max_length=30, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as text so the record still reads right after the article is renamed or deleted.
    subject = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit event"

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.subject}"

    @classmethod
    def record(cls, action: str, user=None, article=None, subject: str = "", detail: str = ""):
        if user is not None and not user.is_authenticated:
            user = None
        return cls.objects.create(
            action=action,
            user=user,
            article=article,
            subject=subject or (article.title if article else ""),
            detail=detail,
        )


class ReviewComment(models.Model):
    """A reviewer's request for changes to an article, shown to its author until resolved
    (when the article is submitted again, or approved)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="review_comments")
    # Who submitted the article for review: the person asked to make the changes.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    comment = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    resolved = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Changes requested to {self.article}"


# Revision history (django-reversion). A revision of an article holds its own fields, the
# shared Article fields, its symptoms, sources and FAQ questions, so restoring one brings
# all of them back together.
reversion.register(Article, follow=["tagged_symptoms", "sources"])
reversion.register(ConditionArticle, follow=["article_ptr", "other_names"])
reversion.register(FaqArticle, follow=["article_ptr", "items"])
reversion.register(FaqItem)
reversion.register(TaggedArticle)
reversion.register(Source)
# A symptom's revisions hold its name, synonyms, and its live and proposed advice.
reversion.register(Symptom)


class SearchEntry(models.Model):
    """What search reads of one article, in plain words, one row per article.

    The database's own full-text index is built over it (an FTS5 table on SQLite, a weighted
    tsvector column on PostgreSQL: see `conditions.search`). Every article has an entry;
    who may see it is decided at query time with `Article.objects.published()`, so
    publishing, unpublishing and a scheduled time passing need no re-indexing.
    """

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    title = models.TextField()
    # Section headings of a condition article, the questions of an FAQ.
    headings = models.TextField(blank=True)
    symptoms = models.TextField(blank=True)
    body = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return self.title


class SearchTerm(models.Model):
    """A word that occurs in the indexed text: what "Did you mean …?" suggestions come from."""

    word = models.CharField(max_length=40, unique=True)

    def __str__(self) -> str:
        return self.word


class ContentVersion(models.Model):
    """One row: the version of the site's content, replaced whenever content changes.

    Cached public pages are stored under it (see conditions.content_version). It lives in the
    database so that every process sees a change at once, even when each process has its
    own in-memory cache; with a shared cache (Redis) it is read from there instead.
    """

    # Times as Unix timestamps: read on every request with one plain SQL query.
    token = models.CharField(max_length=32)
    # Counts up with every change, in the order the changes commit: a copy of the version
    # in the shared cache is only ever replaced by a newer one (see conditions.content_version).
    number = models.BigIntegerField(default=0)
    changed_at = models.FloatField()
    # The next scheduled publish time still to come, when the content will change by itself.
    next_publish_at = models.FloatField(null=True)

    def __str__(self) -> str:
        return self.token


class ConditionName(models.Model):
    """Another name the conditions A–Z lists a condition article under: a name its condition
    is also called (no section), or a condition one of its sections explains (that
    section's anchor, so the A–Z links straight to it)."""

    article = models.ForeignKey(
        ConditionArticle, on_delete=models.CASCADE, related_name="other_names"
    )
    name = models.CharField(max_length=200)
    section = models.CharField(
        max_length=200,
        blank=True,
        help_text="The section that explains it (from the body's headings as last saved), or "
        "the whole article for a name the condition is also called.",
    )
    position = models.PositiveIntegerField(default=0, help_text="Lower numbers come first.")

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "other name"
        # The conditions A–Z reads a page of names from this (conditions.condition_names).
        indexes = [models.Index(Lower("name"), name="other_name_order")]

    def __str__(self) -> str:
        return self.name


reversion.register(ConditionName)


# What readers look for (see conditions.search_insights and conditions.promotions).


class SearchCount(models.Model):
    """How often readers searched for one query on one day, and how many articles the last of
    those searches found. Anonymous by design: no address, cookie, user agent or user, only
    the normalised words; rows older than SEARCH_LOG_RETENTION_DAYS are deleted."""

    query = models.CharField(max_length=100)
    day = models.DateField(db_index=True)
    searches = models.PositiveIntegerField(default=0)
    results = models.PositiveIntegerField("results found", default=0)

    class Meta:
        verbose_name = "search readers made"
        verbose_name_plural = "searches readers made"
        constraints = [
            models.UniqueConstraint(fields=["query", "day"], name="one_search_count_per_day")
        ]

    def __str__(self) -> str:
        return f"“{self.query}” on {self.day}: {self.searches}"


class PromotedResult(models.Model):
    """An article pinned to the top of the search results for a query (and other ways of
    asking it), marked "Recommended". Only ever shown while the article is published."""

    query = models.CharField(
        max_length=100,
        help_text="What readers type, e.g. “whiplash”. Capitals and spacing don't matter.",
    )
    other_phrasings = models.TextField(
        blank=True,
        help_text="Other ways readers ask the same thing, one per line, e.g. “neck injury "
        "car accident”.",
    )
    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="promotions",
        limit_choices_to={"live_article__isnull": True},  # never a working copy
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["query", "created_at", "pk"]
        verbose_name = "promoted search result"
        constraints = [
            models.UniqueConstraint(fields=["query", "article"], name="one_pin_per_query_article")
        ]

    def __str__(self) -> str:
        return f"“{self.query}” → {self.article}"


class PageFeedback(models.Model):
    """A reader's answer to "Is this page useful?" on a live article, and what they said was
    missing. Anonymous: no address, cookie, user agent or time of day, only the day."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    useful = models.BooleanField()
    # Plain text as the reader typed it (control characters removed), escaped wherever shown.
    comment = models.TextField(blank=True, max_length=settings.FEEDBACK_COMMENT_MAX_LENGTH)
    given_on = models.DateField(default=timezone.localdate, db_index=True)
    # An editor who has acted on a comment marks it handled; it stays, for the counts.
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "reader feedback"
        verbose_name_plural = "reader feedback"
        ordering = ["-given_on", "-pk"]

    def __str__(self) -> str:
        return f"{'Useful' if self.useful else 'Not useful'}: {self.article.title}"


class ShareLink(models.Model):
    """A read-only preview of a draft or working copy for someone without an account (a
    clinician asked to check it), until it expires or is revoked. Its address carries this
    row's id, signed (see conditions.share_links): nothing guessable, nothing secret stored."""

    # Kept when the article is deleted (a working copy is, when published or discarded), so
    # the link can say it has gone rather than that it never existed.
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, related_name="share_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "preview link"

    def __str__(self) -> str:
        return f"Preview link to {self.article} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Image(models.Model):
    """A diagram or photo in the media library, placed in articles by reference
    (`![alt](image:<id> "size align")`, see conditions.images). Its file is the upload
    re-encoded by Pillow (pixels only, no metadata); readers see its renditions."""

    file = models.FileField(max_length=255, editable=False)
    # sha256 of the stored file: names its renditions, and is part of the sign-off
    # fingerprint of every article using it.
    file_hash = models.CharField(max_length=64, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    alt_text = models.CharField(
        "alt text",
        max_length=300,
        blank=True,
        help_text="What the image shows, for readers who can't see it, e.g. “Diagram of the "
        "neck from behind, showing the occipital nerves running up from the base of the "
        "skull”. Required unless the image is decorative.",
    )
    decorative = models.BooleanField(
        default=False,
        help_text="Tick only if the image adds nothing a reader would miss: screen readers "
        "then skip it.",
    )
    caption = models.CharField(max_length=300, blank=True, help_text="Shown under the image.")
    credit = models.CharField(
        max_length=200, blank=True, help_text="Who made it, shown after the caption."
    )
    licence = models.CharField(
        max_length=200, blank=True, help_text="e.g. “Our own”, “CC BY 4.0”. Not shown to readers."
    )
    # Where the subject is (0 = left or top edge, 1 = right or bottom), kept in view when a
    # smaller box crops the image (the library's thumbnails).
    focal_x = models.FloatField(
        "focal point across",
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    focal_y = models.FloatField(
        "focal point down",
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # With updated_at, what the admin's form compares to refuse a save over someone else's
    # (conditions.forms.RefusesLostUpdates).
    updated_at = models.DateTimeField("last changed", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decorative=True) | ~Q(alt_text=""), name="image_has_alt_text"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        if self.alt_text:
            return self.alt_text if len(self.alt_text) <= 80 else f"{self.alt_text[:79]}…"
        return f"Decorative image {Path(self.file.name).name}"

    def clean(self):
        if not self.decorative and not self.alt_text.strip():
            raise ValidationError(
                {"alt_text": "Describe what the image shows, or tick “decorative”."}
            )


class Rendition(models.Model):
    """One size and format of an image, made once when its file is uploaded or replaced.
    Its file name holds the hash of the file it was made from, so its address always means
    the same bytes (cached for a year) and live pages keep the renditions they were
    published with after the image's file is replaced."""

    class Format(models.TextChoices):
        AVIF = "avif", "AVIF"
        WEBP = "webp", "WebP"
        JPEG = "jpeg", "JPEG"
        PNG = "png", "PNG"

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="renditions")
    source_hash = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    format = models.CharField(max_length=4, choices=Format.choices)
    file = models.FileField(max_length=255)

    class Meta:
        ordering = ["width"]
        constraints = [
            models.UniqueConstraint(
                fields=["image", "source_hash", "width", "format"], name="one_rendition_per_size"
            )
        ]

    def __str__(self) -> str:
        return f"{self.image_id}: {self.width}w {self.format}"
