"""Public pages. Every query for content starts from `Article.objects.published()`."""

from itertools import groupby
from urllib.parse import urlencode

from django.core.paginator import InvalidPage, Paginator
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from conditions.models import Article, ConditionArticle, FaqArticle, Symptom

ARTICLES_PER_PAGE = 20
RELATED_ARTICLES_SHOWN = 5
# More than this many `with=` symptoms is not a real reader's query; the rest are ignored.
MAX_NARROWING_SYMPTOMS = 8


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
    article = get_object_or_404(ConditionArticle.objects.visible_to(request.user), slug=slug)
    return _article_page(request, article, "conditions/condition_detail.html")


def faq_detail(request, slug):
    article = get_object_or_404(FaqArticle.objects.visible_to(request.user), slug=slug)
    return _article_page(
        request, article, "conditions/faq_detail.html", {"items": article.items.all()}
    )


def _article_page(request, article, template_name, extra_context=None):
    related = Article.objects.published().related_to(article)[:RELATED_ARTICLES_SHOWN]
    context = {
        "article": article,
        "symptoms": list(article.symptoms.all()),
        "related_articles": related,
        **(extra_context or {}),
    }
    return render(request, template_name, context)


def symptom_list(request):
    symptoms = Symptom.objects.in_use().order_by(Lower("name"))
    return render(
        request, "conditions/symptom_list.html", {"letters": _by_first_letter(symptoms, "name")}
    )


def symptom_detail(request, slug):
    """Articles with this symptom, narrowed by every `?with=<slug>` the reader added."""
    wanted = list(dict.fromkeys([slug, *request.GET.getlist("with")]))[: MAX_NARROWING_SYMPTOMS + 1]
    found = {symptom.slug: symptom for symptom in Symptom.objects.filter(slug__in=wanted)}
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


def search(request):
    """Title and summary search over published articles."""
    query = request.GET.get("q", "").strip()[:200]
    page = None
    if query:
        articles = (
            Article.objects.published()
            .filter(Q(title__icontains=query) | Q(summary__icontains=query))
            .with_symptoms()
            .order_by(Lower("title"))
        )
        page = _page_or_404(request, articles)
    return render(request, "conditions/search.html", {"query": query, "page": page})


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
