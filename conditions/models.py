"""NeckInfo's content: symptoms, and the condition and FAQ articles tagged with them.

`Article` holds what every article has (title, slug, summary, publishing, symptoms), so
listings, symptom pages and related articles read one table whatever the article type.
`ConditionArticle` and `FaqArticle` add their own content on top (multi-table inheritance).
"""

from django.db import models
from django.db.models import Count, Max, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from taggit.managers import TaggableManager
from taggit.models import ItemBase, TagBase

from conditions.markdown import render_markdown


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

    description = models.TextField(
        blank=True,
        help_text="One or two plain sentences describing the symptom, shown on its page.",
    )
    synonyms = models.TextField(
        blank=True,
        help_text="Other words readers use for it, separated by commas "
        "(for Dizziness: vertigo, light-headedness). Used to tag imported articles.",
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

    def get_absolute_url(self) -> str:
        return reverse("conditions:symptom", args=[self.slug])

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

    def related_to(self, article: "Article") -> "ArticleQuerySet":
        """Other articles sharing symptoms with `article`, most shared symptoms first."""
        return (
            self.filter(tagged_symptoms__tag__in=article.symptoms.all())
            .exclude(pk=article.pk)
            .annotate(shared_symptoms=Count("tagged_symptoms"))
            .order_by("-shared_symptoms", "-updated_at", "title")
        )


class TaggedArticle(ItemBase):
    """Links an article to one of its symptoms (django-taggit's through model)."""

    content_object = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="tagged_symptoms"
    )
    tag = models.ForeignKey(Symptom, on_delete=models.CASCADE, related_name="tagged_articles")

    class Meta:
        verbose_name = "article symptom"
        constraints = [
            models.UniqueConstraint(
                fields=["content_object", "tag"], name="unique_symptom_per_article"
            )
        ]


class Article(models.Model):
    """What every article has: the parts listings, symptom pages and search show."""

    class Kind(models.TextChoices):
        CONDITION = "condition", "Condition"
        FAQ = "faq", "FAQ"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    kind = models.CharField(max_length=20, choices=Kind.choices, editable=False)
    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        blank=True,
        help_text="The last part of the page's address. Filled in from the title.",
    )
    summary = models.TextField(
        max_length=400,
        help_text="One or two plain sentences, shown in listings and to search engines.",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(
        "first published",
        null=True,
        blank=True,
        help_text="Set when the article is first published.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField("last updated", auto_now=True, db_index=True)
    # The file an article was imported from, so that importing it again updates the
    # article instead of adding a duplicate.
    import_source = models.CharField(
        max_length=255, unique=True, null=True, blank=True, editable=False
    )

    symptoms = TaggableManager(
        through=TaggedArticle,
        blank=True,
        related_name="articles",
        help_text="The symptoms this article covers.",
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["status", "published_at"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._free_slug()
        if self.status == self.Status.PUBLISHED and self.published_at is None:
            self.published_at = timezone.now()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        name = "conditions:condition" if self.kind == self.Kind.CONDITION else "conditions:faq"
        return reverse(name, args=[self.slug])

    def _free_slug(self) -> str:
        """A slug made from the title, numbered (-2, -3…) when another article has it."""
        base = slugify(self.title)[:190].strip("-") or "article"
        taken = set(
            Article.objects.filter(slug__startswith=base)
            .exclude(pk=self.pk)
            .values_list("slug", flat=True)
        )
        slug, number = base, 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        return slug

    @property
    def is_public(self) -> bool:
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    def publish(self) -> None:
        self.status = self.Status.PUBLISHED
        self.save()

    def unpublish(self) -> None:
        self.status = self.Status.DRAFT
        self.save()


class ConditionArticle(Article):
    """A question or condition: introduction and sections in the body, then when to get help."""

    body = models.TextField(
        help_text="The introduction and sections, in Markdown. Start each section with "
        "a heading line such as `## Poor posture`."
    )
    when_to_get_medical_help = models.TextField(
        blank=True,
        help_text="When to see a doctor or get urgent help, in Markdown. "
        "Shown as a separate callout.",
    )
    body_html = models.TextField(editable=False, default="")
    when_to_get_medical_help_html = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = "condition article"

    def save(self, *args, **kwargs):
        self.kind = Article.Kind.CONDITION
        self.body_html = render_markdown(self.body)
        self.when_to_get_medical_help_html = render_markdown(self.when_to_get_medical_help)
        super().save(*args, **kwargs)


class FaqArticle(Article):
    """A page of questions and answers."""

    intro = models.TextField(blank=True, help_text="Optional introduction, in Markdown.")
    intro_html = models.TextField(editable=False, default="")

    class Meta:
        verbose_name = "FAQ article"

    def save(self, *args, **kwargs):
        self.kind = Article.Kind.FAQ
        self.intro_html = render_markdown(self.intro)
        super().save(*args, **kwargs)


class FaqItem(models.Model):
    """One question and its answer on an FAQ article."""

    faq = models.ForeignKey(FaqArticle, on_delete=models.CASCADE, related_name="items")
    question = models.CharField(max_length=300)
    answer = models.TextField(help_text="In Markdown.")
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
        self.answer_html = render_markdown(self.answer)
        if self.position is None:
            last = FaqItem.objects.filter(faq_id=self.faq_id).aggregate(Max("position"))
            self.position = (last["position__max"] or 0) + 1
        if not self.anchor:
            self.anchor = self._free_anchor()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"{self.faq.get_absolute_url()}#{self.anchor}"

    def _free_anchor(self) -> str:
        base = slugify(self.question)[:70].strip("-") or "question"
        taken = set(
            FaqItem.objects.filter(faq_id=self.faq_id)
            .exclude(pk=self.pk)
            .values_list("anchor", flat=True)
        )
        anchor, number = base, 2
        while anchor in taken:
            anchor, number = f"{base}-{number}", number + 1
        return anchor
