"""Public pages. Every query for content starts from `Article.objects.published()`."""

import re
import unicodedata

from django.core.cache import cache
from django.core.paginator import InvalidPage, Paginator
from django.db import DatabaseError, connection
from django.db.models import Q, prefetch_related_objects
from django.db.models.functions import Lower
from django.http import (
    Http404,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.template.defaultfilters import pluralize

from conditions import (
    condition_names,
    editorial,
    image_references,
    narrowing,
    promotions,
    search,
    search_insights,
)
from conditions.addresses import page_address
from conditions.caching import cached_until_content_changes, reads_query_parameters
from conditions.condition_names import AToZEntry
from conditions.models import (
    IN_TITLE_ORDER,
    Article,
    ConditionArticle,
    FaqArticle,
    SlugRedirect,
    Symptom,
)
from conditions.vocabulary import redirect_from_old_slugs

ARTICLES_PER_PAGE = 20
# The A–Z lists, a page at a time: at 10,000 articles a whole list took seconds to render and
# weighed over 2 MB. Condition entries are a title and a summary; FAQs are cards with symptoms.
CONDITIONS_PER_PAGE = 100
FAQS_PER_PAGE = 50
# Page numbers as the site writes them: "02", "+2" or "2.0" would be further copies of page 2,
# each rendered afresh, and a number past this is not a page any list has.
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,3}")
RELATED_ARTICLES_SHOWN = 5
POPULAR_SYMPTOMS_SHOWN = 12
# More than this many `with=` symptoms is not a real reader's query; the rest are ignored.
MAX_NARROWING_SYMPTOMS = 8
# Further symptoms a symptom page offers; the rest are on its page of further symptoms.
FURTHER_SYMPTOMS_SHOWN = 24
SYMPTOM_SUGGESTIONS = 8


def home(request):
    counts = narrowing.shared_symptom_counts()  # how many published articles carry each
    popular_symptoms = sorted(
        Symptom.objects.filter(pk__in=counts).only("name", "slug"),
        key=lambda symptom: (-counts[symptom.pk], symptom.name),
    )[:POPULAR_SYMPTOMS_SHOWN]
    for symptom in popular_symptoms:
        symptom.article_count = counts[symptom.pk]
    recently_updated = (
        Article.objects.published().for_cards().with_symptoms().order_by("-updated_at")[:6]
    )
    return render(
        request,
        "conditions/home.html",
        {"popular_symptoms": popular_symptoms, "recently_updated": recently_updated},
    )


@reads_query_parameters("page")
def condition_list(request):
    """Conditions by what they are called: each article under its condition name, its other
    names as "see" entries, and the conditions its sections explain (condition_names)."""
    # The outline (the pages, where each letter starts) takes a walk over every entry: it is
    # kept until content changes, for all of the list's pages, and spares each page a count.
    outline = cached_until_content_changes(
        request,
        f"condition-names-outline:{CONDITIONS_PER_PAGE}",
        lambda: condition_names.outline(CONDITIONS_PER_PAGE, _initial),
    )
    page = _page_or_404(Paginator(range(outline.total), CONDITIONS_PER_PAGE), page_number(request))
    entries = []
    if outline.pages:  # else the one, empty, first page
        rows = condition_names.page_rows(outline.pages[page.number - 1], CONDITIONS_PER_PAGE)
        entries = [condition_names.as_entry(row) for row in rows]
    return render(
        request,
        "conditions/condition_list.html",
        {
            "page": page,
            "letters": _by_first_letter(entries, "name"),
            "letter_links": [
                (letter, _letter_link(request.path, letter, number, page.number))
                for letter, number in outline.letter_starts
            ],
        },
    )


@reads_query_parameters("page")
def faq_list(request):
    articles = Article.objects.published().filter(kind=Article.Kind.FAQ)
    return render(
        request,
        "conditions/faq_list.html",
        _a_to_z(request, "faqs", articles, FAQS_PER_PAGE, symptoms=True),
    )


def _a_to_z(request, name: str, articles, per_page: int, *, symptoms: bool = False) -> dict:
    """A page of an alphabetical list of articles, grouped by letter, and the letters to jump
    to, each leading to the page where that letter starts."""
    articles = articles.order_by(*IN_TITLE_ORDER)
    # Where each letter starts takes a walk over every title: it is kept until content
    # changes, for all of the list's pages, and counts the articles too (a COUNT of them took
    # a third of a page's time at 100,000 articles).
    count, starts = cached_until_content_changes(
        request,
        f"list-outline:{name}:{per_page}",
        lambda: _letter_starts(articles.values_list("title", flat=True), per_page),
    )
    paginator = narrowing.CountedPaginator(
        articles.for_cards().with_symptoms() if symptoms else articles, per_page, count
    )
    page = _page_or_404(paginator, page_number(request))
    return {
        "page": page,
        "letters": _by_first_letter(page.object_list, "title"),
        "letter_links": [
            (letter, _letter_link(request.path, letter, number, page.number))
            for letter, number in starts
        ],
    }


def condition_detail(request, slug):
    article = ConditionArticle.objects.visible_to(request.user).filter(slug=slug).first()
    if article is None:
        return _redirect_renamed_article(request, slug, Article.Kind.CONDITION)
    # Its other names: shown under the title ("Also called") and part of what a sign-off
    # covers, read once for both.
    prefetch_related_objects([article], "other_names")
    return _article_page(request, article, items=[])


def faq_detail(request, slug):
    article = FaqArticle.objects.visible_to(request.user).filter(slug=slug).first()
    if article is None:
        return _redirect_renamed_article(request, slug, Article.Kind.FAQ)
    return _article_page(request, article, items=article.items.all())


def _article_page(request, article, items):
    symptoms = list(article.symptoms.all())
    if not article.is_public:
        # A draft or working copy (only staff reach it) shows the library as it is now; a
        # live page keeps the images it was published with (conditions.image_references).
        article.render_markdown()
        items = list(items)
        for item in items:
            item.render_markdown()
    return render_article(
        request,
        article,
        symptoms=symptoms,
        sources=article.sources.all(),
        items=items,
        related=_related_articles(request, article, symptoms),
    )


def _related_articles(request, article, symptoms) -> list[Article]:
    """Related articles, kept in the cache until content changes: ranking articles by
    shared symptoms is the dearest part of an article page."""
    return cached_until_content_changes(
        request,
        f"related:{article.pk}",
        lambda: list(
            Article.objects.published().related_to(article, symptoms)[:RELATED_ARTICLES_SHOWN]
        ),
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


def render_article(
    request, article, *, symptoms, sources, items, related, preview=False, shared_until=None
):
    """An article's page. The admin's preview renders unsaved content through this too, and a
    preview link (conditions.share_links) a draft, saying until when the link works."""
    # A sign-off counts only for the content it was given to (read from what the page has
    # loaded anyway: no extra query).
    article.review_is_current = editorial.sign_off_is_current(article, symptoms, sources, items)
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
            # The "Get help now" box at the top: the levels this page has advice for.
            "help_now": {
                "emergency": bool(
                    getattr(article, "emergency_help_html", "") or red_flags["emergency"]
                ),
                "urgent": bool(getattr(article, "urgent_help_html", "") or red_flags["urgent"]),
            },
            "is_preview": preview,
            "shared_until": shared_until,
            # References the preview shows as text, each with what to do about it.
            "image_problems": image_references.problems_of(article, items) if preview else [],
        },
    )


def symptom_list(request):
    """Every symptom with published articles, on one page: the vocabulary is a few hundred."""
    counts = narrowing.shared_symptom_counts()
    symptoms = Symptom.objects.filter(pk__in=counts).order_by(Lower("name"))
    entries = [
        AToZEntry(
            name=name,
            url=page_address("conditions:symptom", slug),
            articles=f"{counts[pk]} article{pluralize(counts[pk])}",
        )
        for pk, name, slug in symptoms.values_list("pk", "name", "slug")
    ]
    letters = _by_first_letter(entries, "name")
    return render(
        request,
        "conditions/symptom_list.html",
        {
            "letters": letters,
            "letter_links": [(letter, f"#letter-{letter}") for letter, _ in letters],
        },
    )


@reads_query_parameters("with", "page", repeatable=("with",))
def symptom_detail(request, slug):
    """Articles with this symptom, narrowed by every `?with=<slug>` the reader added."""
    number = page_number(request)
    links = narrowing.NarrowingLinks()
    selected, redirect = _selected_symptoms(request, slug, lambda slugs: links.to(slugs, number))
    if redirect:
        return redirect
    selected_slugs = [symptom.slug for symptom in selected]

    counts = narrowing.symptom_counts(selected)
    count = counts.get(selected[0].pk, 0)
    articles = narrowing.in_title_order(
        selected, count, until=number * ARTICLES_PER_PAGE
    ).for_cards()
    page = _page_or_404(narrowing.CountedPaginator(articles, ARTICLES_PER_PAGE, count), number)
    narrowing.read_card_symptoms(page.object_list)
    # The reader's next narrowing step: the symptoms most of the current results also have,
    # with how many results each would leave. All of them (two hundred for a common symptom)
    # made a page of 85 KB, mostly links; the rest are on a page of their own.
    shown = narrowing.further_symptoms(counts, selected, limit=FURTHER_SYMPTOMS_SHOWN + 1)
    for option in shown[:FURTHER_SYMPTOMS_SHOWN]:
        option.narrowed_url = links.to([*selected_slugs, option.slug])
    return render(
        request,
        "conditions/symptom_detail.html",
        {
            **_selection_context(selected, links),
            "narrowing_options": shown[:FURTHER_SYMPTOMS_SHOWN],
            "all_further_symptoms_url": (
                narrowing.NarrowingLinks("conditions:further_symptoms").to(selected_slugs)
                if len(shown) > FURTHER_SYMPTOMS_SHOWN
                else ""
            ),
            "page": page,
        },
    )


@reads_query_parameters("with", repeatable=("with",))
def further_symptoms(request, slug):
    """Every further symptom the articles of a symptom page (narrowed or not) share, A to Z:
    the symptom page itself offers only the most shared."""
    links = narrowing.NarrowingLinks()
    further_links = narrowing.NarrowingLinks("conditions:further_symptoms")
    selected, redirect = _selected_symptoms(request, slug, further_links.to)
    if redirect:
        return redirect
    selected_slugs = [symptom.slug for symptom in selected]

    counts = narrowing.symptom_counts(selected)
    options = narrowing.further_symptoms(counts, selected)
    options.sort(key=lambda symptom: symptom.name.lower())
    letters = _by_first_letter(options, "name")
    for _, symptoms in letters:
        for symptom in symptoms:
            symptom.narrowed_url = links.to([*selected_slugs, symptom.slug])
    return render(
        request,
        "conditions/further_symptoms.html",
        {
            **_selection_context(selected, links),
            "symptom_page_url": links.to(selected_slugs),
            "letters": letters,
            "letter_links": [(letter, f"#letter-{letter}") for letter, _ in letters],
        },
    )


def _selected_symptoms(
    request, slug: str, address_for
) -> tuple[list[Symptom], HttpResponse | None]:
    """The symptoms a symptom page is for (`slug`'s, then every `?with=` one, in order),
    or a redirect to where the page is.

    Unknown, repeated or too many `with=` symptoms, which the page ignores, redirect to
    `address_for(the slugs kept)`: made-up values can't each render (and fill the cache with)
    a page of their own. Temporary, as an unknown symptom may be added later. The old slug of
    a renamed or merged symptom redirects permanently to its new one.
    """
    narrowed_by = request.GET.getlist("with")
    wanted = list(dict.fromkeys([slug, *narrowed_by]))[: MAX_NARROWING_SYMPTOMS + 1]
    found = {symptom.slug: symptom for symptom in Symptom.objects.filter(slug__in=wanted)}
    if len(found) < len(wanted):
        # Only when something wasn't found (so the usual page costs no extra query): it may
        # be the old slug of a renamed or merged-away symptom.
        missing = [s for s in wanted if s not in found]
        if redirect := redirect_from_old_slugs(request, slug, missing):
            return [], redirect
    if slug not in found:
        raise Http404("No such symptom")
    selected = [found[s] for s in wanted if s in found]
    selected_slugs = [symptom.slug for symptom in selected]
    if selected_slugs[1:] != narrowed_by:
        return selected, HttpResponseRedirect(address_for(selected_slugs))
    return selected, None


def _selection_context(selected: list[Symptom], links: narrowing.NarrowingLinks) -> dict:
    """What every page for a selection of symptoms shows: the symptoms, each with the address
    without it, and their red-flag advice."""
    selected_slugs = [symptom.slug for symptom in selected]
    return {
        "symptom": selected[0],
        "selected": [
            (symptom, links.to([s for s in selected_slugs if s != symptom.slug]))
            for symptom in selected
        ],
        # Every selected symptom's red-flag advice, whether or not any article matches:
        # the warning signs matter most when the reader finds nothing else.
        "red_flags": {
            level: [s for s in selected if s.red_flag_advice_html and s.red_flag_level == level]
            for level in Symptom.RedFlagLevel.values
        },
        "help_now": {
            level: any(s.red_flag_advice_html and s.red_flag_level == level for s in selected)
            for level in Symptom.RedFlagLevel.values
        },
        "is_narrowed": len(selected) > 1,
    }


@reads_query_parameters("q", "type", "symptom", "page")
def search_page(request):
    """Full-text search over published articles, with type and symptom filters."""
    query = request.GET.get("q", "")
    kind = request.GET.get("type") or None
    symptom = request.GET.get("symptom") or None
    number = page_number(request)
    unusable = {
        "type": kind and kind not in Article.Kind.values,
        "symptom": symptom
        and not Symptom.objects.filter(
            slug=symptom, tagged_articles__content_object__in=Article.objects.published()
        ).exists(),
    }
    if any(unusable.values()):
        # A filter the form doesn't offer would search unfiltered (or find nothing) under an
        # address of its own each time: the search without it instead.
        kept = request.GET.copy()
        for name in [name for name, bad in unusable.items() if bad]:
            del kept[name]
        return HttpResponseRedirect(f"{request.path}?{kept.urlencode()}" if kept else request.path)
    try:
        results = search.search(query, kind=kind, symptom=symptom, page=number)
    except InvalidPage as error:
        raise Http404("No such page of results") from error
    promoted = promotions.pin_to_top(request, results)
    response = render(
        request,
        "conditions/search.html",
        {
            "query": results.query,
            "results": results,
            "promoted": promoted,
            "kind": kind,
            "symptom": symptom,
            "kinds": Article.Kind.choices,
            # Of the ~300 symptoms in use, those most of the results carry narrow them
            # (search.results.FILTER_SYMPTOMS); all of them when nothing was found, so the
            # reader can pick another.
            "filter_symptoms": results.result_symptoms or _symptom_choices(),
        },
    )
    if number == 1 and not (kind or symptom):  # a filter or a later page refines a search
        search_insights.mark_countable(response, results.query, results.total or len(promoted))
    return response


def _symptom_choices() -> list[dict]:
    """Symptoms with published articles: the filter's choices when nothing was found. From
    the kept counts: counting them from the article–symptom table took 60 ms at 10,000
    articles, four times the search itself."""
    in_use = Symptom.objects.filter(pk__in=narrowing.shared_symptom_counts())
    return list(in_use.order_by(Lower("name")).values("slug", "name"))


@reads_query_parameters("q")
def symptom_suggestions(request):
    """Symptoms whose name or synonyms contain what the reader is typing (JSON)."""
    typed = request.GET.get("q", "").strip()[:60]
    matches, counts = [], {}
    if len(typed) >= 2:
        counts = narrowing.shared_symptom_counts()
        matches = sorted(
            Symptom.objects.filter(pk__in=counts)
            .filter(Q(name__icontains=typed) | Q(synonyms__icontains=typed))
            .only("name", "slug"),
            key=lambda symptom: (-counts[symptom.pk], symptom.name),
        )[:SYMPTOM_SUGGESTIONS]
    response = JsonResponse(
        {
            "symptoms": [
                {"name": s.name, "url": s.get_absolute_url(), "articles": counts[s.pk]}
                for s in matches
            ]
        }
    )
    response["Cache-Control"] = "max-age=300"
    return response


def page_number(request, parameter: str = "page") -> int:
    """The page of a list asked for (1 if none); 404, before any query, unless it is written
    as the site writes page numbers."""
    number = request.GET.get(parameter)
    if not number:
        return 1
    if not PAGE_NUMBER.fullmatch(number):
        raise Http404("No such page")
    return int(number)


def _page_or_404(paginator: Paginator, number: int):
    try:
        return paginator.page(number)
    except InvalidPage as error:
        raise Http404("No such page") from error


def _initial(title: str) -> str:
    """The letter a title is listed under: "Éczema" under E, "3 things…" under 0-9."""
    first = unicodedata.normalize("NFKD", title[:1])[:1].upper()
    return first if first.isalpha() else "0-9"


def _by_first_letter(objects, attribute: str) -> list[tuple[str, list]]:
    """Group an alphabetically ordered list for an A–Z page: [("A", [...]), ("B", [...])].

    A letter's items form one group even where the database's order splits them (SQLite
    sorts "Éczema" after "Z").
    """
    groups = {}
    for item in objects:
        groups.setdefault(_initial(getattr(item, attribute)), []).append(item)
    return list(groups.items())


def _letter_starts(titles, per_page: int) -> tuple[int, list[tuple[str, int]]]:
    """How many titles an alphabetical list has, and [(letter, number of the page where it
    starts)]."""
    starts, count = {}, 0
    for count, title in enumerate(titles, start=1):
        starts.setdefault(_initial(title), (count - 1) // per_page + 1)
    return count, list(starts.items())


def _letter_link(path: str, letter: str, number: int, current: int) -> str:
    """Where a letter of an A–Z list starts: on this page, on page 1, or on page `number`."""
    anchor = f"#letter-{letter}"
    if number == current:
        return anchor
    return f"{path}{anchor}" if number == 1 else f"?page={number}{anchor}"


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
