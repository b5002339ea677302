"""Public pages. Every query for content starts from `Article.objects.published()`."""

from itertools import groupby
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import InvalidPage, Paginator
from django.db import DatabaseError, connection
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from conditions import search
from conditions.caching import cached_until_content_changes
from conditions.models import Article, ConditionArticle, FaqArticle, SlugRedirect, Symptom
from conditions.vocabulary import redirect_from_old_slugs

ARTICLES_PER_PAGE = 20
RELATED_ARTICLES_SHOWN = 5
# More than this many `with=` symptoms is not a real reader's query; the rest are ignored.
MAX_NARROWING_SYMPTOMS = 8
SYMPTOM_SUGGESTIONS = 8


def home(request):
    popular_symptoms = Symptom.objects.in_use().order_by("-article_count", "name")[:12]
    recently_updated = Article.objects.published().with_symptoms().order_by("-updated_at")[:6]
    return render(
        request,
        "conditions/home.html",
        {"popular_symptoms": popular_symptoms, "recently_updated": recently_updated},
    )


def condition_list(request):
    articles = Article.objects.published().filter(kind=Article.Kind.CONDITION)
    return render(
        request,
        "conditions/condition_list.html",
        {"letters": _by_first_letter(articles.order_by(Lower("title")), "title")},
    )


def faq_list(request):
    articles = Article.objects.published().filter(kind=Article.Kind.FAQ).with_symptoms()
    return render(
        request, "conditions/faq_list.html", {"articles": articles.order_by(Lower("title"))}
    )


def condition_detail(request, slug):
    article = ConditionArticle.objects.visible_to(request.user).filter(slug=slug).first()
    if article is None:
        return _redirect_renamed_article(request, slug, Article.Kind.CONDITION)
    return _article_page(request, article, items=[])


def faq_detail(request, slug):
    article = FaqArticle.objects.visible_to(request.user).filter(slug=slug).first()
    if article is None:
        return _redirect_renamed_article(request, slug, Article.Kind.FAQ)
    return _article_page(request, article, items=article.items.all())


def _article_page(request, article, items):
    return render_article(
        request,
        article,
        symptoms=list(article.symptoms.all()),
        sources=article.sources.all(),
        items=items,
        related=_related_articles(request, article),
    )


def _related_articles(request, article) -> list[Article]:
    """Related articles, kept in the cache until content changes: ranking every article by
    shared symptoms is the dearest part of an article page."""
    return cached_until_content_changes(
        request,
        f"related:{article.pk}",
        lambda: list(Article.objects.published().related_to(article)[:RELATED_ARTICLES_SHOWN]),
    )


def _redirect_renamed_article(request, slug: str, kind: str):
    """A permanent redirect from an article's old address to its current one, or 404."""
    renamed = (
        SlugRedirect.objects.filter(old_slug=slug, article__kind=kind)
        .filter(article__in=Article.objects.visible_to(request.user))
        .select_related("article")
        .first()
    )
    if renamed is None:
        raise Http404("No such article")
    return HttpResponsePermanentRedirect(renamed.article.get_absolute_url())


ARTICLE_TEMPLATES = {
    Article.Kind.CONDITION: "conditions/condition_detail.html",
    Article.Kind.FAQ: "conditions/faq_detail.html",
}


def render_article(request, article, *, symptoms, sources, items, related, preview=False):
    """An article's page. The admin's preview renders unsaved content through this too."""
    # Red-flag advice is written once on a symptom and shown on every article with it.
    red_flags = {
        level: [s for s in symptoms if s.red_flag_advice_html and s.red_flag_level == level]
        for level in Symptom.RedFlagLevel.values
    }
    has_care_advice = any(
        [
            getattr(article, "when_to_get_medical_help_html", ""),
            getattr(article, "urgent_help_html", ""),
            getattr(article, "emergency_help_html", ""),
            *red_flags.values(),
        ]
    )
    return render(
        request,
        ARTICLE_TEMPLATES[article.kind],
        {
            "article": article,
            "symptoms": symptoms,
            "sources": sources,
            "items": items,
            "related_articles": related[:RELATED_ARTICLES_SHOWN],
            "red_flags": red_flags,
            "has_care_advice": has_care_advice,
            "is_preview": preview,
        },
    )


def symptom_list(request):
    symptoms = Symptom.objects.in_use().order_by(Lower("name"))
    return render(
        request, "conditions/symptom_list.html", {"letters": _by_first_letter(symptoms, "name")}
    )


def symptom_detail(request, slug):
    """Articles with this symptom, narrowed by every `?with=<slug>` the reader added."""
    wanted = list(dict.fromkeys([slug, *request.GET.getlist("with")]))[: MAX_NARROWING_SYMPTOMS + 1]
    found = {symptom.slug: symptom for symptom in Symptom.objects.filter(slug__in=wanted)}
    if len(found) < len(wanted):
        # Only when something wasn't found (so the usual page costs no extra query): it may
        # be the old slug of a renamed or merged-away symptom.
        missing = [s for s in wanted if s not in found]
        if redirect := redirect_from_old_slugs(request, slug, missing):
            return redirect
    if slug not in found:
        raise Http404("No such symptom")
    selected = [found[s] for s in wanted if s in found]
    unknown = [s for s in wanted if s not in found]

    articles = (
        Article.objects.published().narrowed_by(selected).with_symptoms().order_by(Lower("title"))
    )
    page = _page_or_404(request, articles)

    # The symptoms the current results also have, with how many results each would leave:
    # the reader's next narrowing step.
    further_symptoms = (
        Symptom.objects.filter(tagged_articles__content_object__in=articles.values("pk"))
        .exclude(pk__in=[symptom.pk for symptom in selected])
        .annotate(match_count=Count("tagged_articles", distinct=True))
        .order_by("-match_count", Lower("name"))
    )
    selected_slugs = [symptom.slug for symptom in selected]
    return render(
        request,
        "conditions/symptom_detail.html",
        {
            "symptom": found[slug],
            "selected": [
                (symptom, _symptom_url([s for s in selected_slugs if s != symptom.slug]))
                for symptom in selected
            ],
            "narrowing_options": [
                (symptom, _symptom_url([*selected_slugs, symptom.slug]))
                for symptom in further_symptoms
            ],
            "unknown_slugs": unknown,
            "page": page,
            "is_narrowed": len(selected) > 1,
        },
    )


def search_page(request):
    """Full-text search over published articles, with type and symptom filters."""
    query = request.GET.get("q", "")
    kind = request.GET.get("type") or None
    symptom = request.GET.get("symptom") or None
    try:
        results = search.search(
            query, kind=kind, symptom=symptom, page=request.GET.get("page") or 1
        )
    except InvalidPage as error:
        raise Http404("No such page of results") from error
    return render(
        request,
        "conditions/search.html",
        {
            "query": results.query,
            "results": results,
            "kind": kind,
            "symptom": symptom,
            "kinds": Article.Kind.choices,
            "filter_symptoms": _symptom_choices(request),
        },
    )


def _symptom_choices(request) -> list[dict]:
    """Symptoms with published articles, for the search filter: counting them costs more
    than the search itself, so they are kept in the cache until content changes."""
    return cached_until_content_changes(
        request,
        "symptom-choices",
        lambda: list(Symptom.objects.in_use().order_by(Lower("name")).values("slug", "name")),
    )


def symptom_suggestions(request):
    """Symptoms whose name or synonyms contain what the reader is typing (JSON)."""
    typed = request.GET.get("q", "").strip()[:60]
    matches = []
    if len(typed) >= 2:
        matches = (
            Symptom.objects.in_use()
            .filter(Q(name__icontains=typed) | Q(synonyms__icontains=typed))
            .order_by("-article_count", "name")[:SYMPTOM_SUGGESTIONS]
        )
    response = JsonResponse(
        {
            "symptoms": [
                {"name": s.name, "url": s.get_absolute_url(), "articles": s.article_count}
                for s in matches
            ]
        }
    )
    response["Cache-Control"] = "max-age=300"
    return response


def _symptom_url(slugs: list[str]) -> str:
    """The address of the symptom page showing articles that have every one of `slugs`."""
    if not slugs:
        return reverse("conditions:symptom_list")
    url = reverse("conditions:symptom", args=[slugs[0]])
    if len(slugs) > 1:
        url += "?" + urlencode([("with", s) for s in slugs[1:]])
    return url


def _page_or_404(request, queryset):
    paginator = Paginator(queryset, ARTICLES_PER_PAGE)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except InvalidPage as error:
        raise Http404("No such page") from error


def _by_first_letter(objects, attribute: str) -> list[tuple[str, list]]:
    """Group an alphabetically ordered list for an A–Z page: [("A", [...]), ("B", [...])]."""

    def letter(item):
        first = getattr(item, attribute)[:1].upper()
        return first if first.isalpha() else "#"

    return [(key, list(group)) for key, group in groupby(objects, key=letter)]


def healthz(request):
    """For load balancers: 200 while the site can serve (the database answers), 503 when it
    can't. A cache that doesn't answer is reported as "degraded" with a 200: pages are
    served from the database meanwhile, and taking every app server out of service because
    the shared cache is down would turn a slowdown into an outage."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as error:
        checks["database"] = f"error: {error.__class__.__name__}"
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") == "ok":
        checks["cache"] = "ok"
    else:
        checks["cache"] = f"degraded: {getattr(cache, 'problem', '') or 'no answer'}"
    if checks["database"] != "ok":
        status, code = "unavailable", 503
    else:
        status, code = ("ok" if checks["cache"] == "ok" else "degraded"), 200
    response = JsonResponse({"status": status, **checks}, status=code)
    response["Cache-Control"] = "no-store"
    return response
