"""Each public page costs a fixed number of queries, however many articles and symptoms."""

from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conditions import narrowing, working_copies
from conditions.models import ConditionArticle, ConditionName, FaqArticle, Symptom
from tests.browser_forms import admin_change_form
from tests.factories import DRAFT, PUBLISHED, make_condition, make_faq, make_symptom

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/conditions/",
    "/faqs/",
    "/symptoms/",
    "/symptoms/neck-pain/",
    "/symptoms/neck-pain/?with=headache&with=dizziness",
    "/symptoms/neck-pain/further-symptoms/",
    "/conditions/article-0/",
    "/faqs/faq-0/",
]


def add_articles(first: int, last: int) -> None:
    for number in range(first, last):
        condition = make_condition(
            f"Article {number}",
            ["Neck pain", "Headache", "Dizziness", f"Symptom {number}"],
            condition_name=f"Condition {number}",
        )
        # The conditions A–Z lists these too: its cost must not grow with them.
        ConditionName.objects.create(article=condition, name=f"Also called {number}")
        ConditionName.objects.create(
            article=condition, name=f"Explained {number}", section=f"about-article-{number}"
        )
        make_faq(
            f"Faq {number}",
            [(f"Question {n}?", "An answer.") for n in range(3)],
            ["Neck pain", "Headache", "Dizziness", f"Other symptom {number}"],
        )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_public_pages_cost_the_same_with_1_and_30_articles(client):
    add_articles(0, 1)
    with_one = {url: count_queries(client, url) for url in PAGES}

    add_articles(1, 30)
    with_thirty = {url: count_queries(client, url) for url in PAGES}

    assert with_thirty == with_one


@pytest.mark.parametrize(
    "url, expected",
    [
        # Each also reads the content version for the page cache (see conditions/caching.py).
        # The kept counts of articles per symptom (and the articles scheduled for later, to
        # take off: narrowing.shared_symptom_counts), the most used of those symptoms, recent
        # articles, their symptoms
        ("/", 6),
        ("/conditions/", 3),  # the outline (pages and letters, no count needed), the page
        ("/faqs/", 4),  # where each letter starts (and how many), page, their symptoms
        ("/symptoms/", 4),  # the kept counts (scheduled, counts), those symptoms
        # selected, the kept counts of the symptoms its articles share (scheduled, counts),
        # the names of those offered, page, their symptoms
        ("/symptoms/neck-pain/", 7),
        # selected, the pair's kept counts (none here: few articles share it), every symptom
        # of the results counted by id (the page's count among them), the names of those
        # offered, page, their symptoms. A pair many share: its kept counts and the
        # scheduled articles to take off, in place of counting.
        ("/symptoms/neck-pain/?with=headache", 7),
        # selected, the pair's kept counts (none), every symptom of the results counted by
        # id, their names
        ("/symptoms/neck-pain/further-symptoms/?with=headache", 5),
        ("/conditions/article-0/", 6),  # article, its other names, symptoms, sources, related
        ("/faqs/faq-0/", 6),  # article, its symptoms, sources, questions, related articles
    ],
)
def test_public_pages_make_few_queries(client, django_assert_num_queries, url, expected):
    add_articles(0, 3)

    with django_assert_num_queries(expected):
        client.get(url)


@pytest.mark.parametrize(
    "url",
    ["/symptoms/neck-pain/?with=headache", "/symptoms/neck-pain/further-symptoms/?with=headache"],
)
def test_a_narrowing_many_articles_share_costs_the_same_with_3_and_30_articles(
    client, monkeypatch, url
):
    # Neck pain and headache are shared by every article here: their counts are kept (the
    # site keeps them from 200 articles), read in two queries whatever the number.
    monkeypatch.setattr(narrowing, "KEEP_NARROWED_FROM", 6)
    add_articles(0, 3)
    assert narrowing.narrowed_counts(*Symptom.objects.filter(slug__in=["neck-pain", "headache"]))
    few = count_queries(client, url)
    add_articles(3, 30)

    assert count_queries(client, url) == few


def test_search_costs_the_same_with_4_and_30_matching_articles(client):
    # A page of 4 results costs what a full page of 10 does: the results' titles and
    # snippets are read in one query, not one per result. Both are above the "finds little"
    # threshold, where a spelling check runs. (One word: with two, fewer than a page of
    # articles having both adds those having either.)
    search_url = "/search/?q=answer"
    add_articles(0, 4)
    with_four = count_queries(client, search_url)

    add_articles(4, 30)

    assert count_queries(client, search_url) == with_four


def test_a_search_that_finds_nothing_costs_the_same_with_few_and_many_symptoms(client):
    # "Symptoms matching your words" reads the whole vocabulary in one query.
    search_url = "/search/?q=xyzzy+plugh+extra"
    add_articles(0, 1)
    with_few = count_queries(client, search_url)
    for number in range(200):
        make_symptom(f"Extra symptom {number}", synonyms=f"other words {number}")

    # The content version, the filter's symptoms (scheduled articles, kept counts, names), the
    # synonyms, the matches with every word and with any, the spelling check (known words,
    # then two reads of the indexed words like each of the three unknown ones), the
    # vocabulary, and the phrases editors pinned articles to (read once per content version).
    # On PostgreSQL, the range of the entries' ids too, which tells whether to read the newest
    # entries a window at a time.
    assert with_few == (17 if connection.vendor == "sqlite" else 18)
    assert count_queries(client, search_url) == with_few


@pytest.mark.parametrize("url", ["/conditions/", "/faqs/"])
def test_every_page_of_a_long_list_costs_what_a_short_list_does(client, url):
    add_articles(0, 1)
    short = count_queries(client, url)
    # 245 conditions and 105 FAQs: three pages of each.
    call_command("generate_demo_content", "350", "--symptoms", "40", stdout=StringIO())

    pages = [count_queries(client, f"{url}?page={number}") for number in (1, 2, 3)]

    # The first page rendered works out where each letter starts; the others reuse that.
    assert pages == [short, short - 1, short - 1]


# What an editor's save costs through the admin's own change form: the article, its
# symptoms, questions and sources, the revision and the audit log; then, once for the whole
# save (see conditions.signals), the FAQ's reading grade, the search entry and the content
# version. (Acting after every question and symptom change cost 57/56 and 108/80.)


def admin_save_queries(client, url: str, changes: dict) -> int:
    data = {**admin_change_form(client, url), **changes}
    # Content types are cached per process: the same count whichever tests ran before.
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return len(queries)


def faq_questions(first: int, count: int) -> dict:
    fields = {"items-TOTAL_FORMS": str(first + count)}
    for number in range(first, first + count):
        fields[f"items-{number}-question"] = f"Why does my neck hurt {number}?"
        fields[f"items-{number}-answer"] = "Usually a strain of the muscles."
    return fields


def test_admin_add_and_edit_of_a_condition_cost_few_queries(superuser_client):
    symptoms = [str(make_symptom(name).pk) for name in ("Neck pain", "Headache")]
    added = admin_save_queries(
        superuser_client,
        "/admin/conditions/conditionarticle/add/",
        {"title": "Whiplash", "summary": "A neck injury.", "body": "## Causes\n\nA fall.",
         "symptoms": symptoms, "status": DRAFT},
    )  # fmt: skip
    article = ConditionArticle.objects.get()
    # Published as test setup (the publish gate wants a sign-off): the edit is of a live page.
    ConditionArticle.objects.filter(pk=article.pk).update(
        status=PUBLISHED, published_at=timezone.now()
    )
    # A published article is edited in its working copy.
    copy = working_copies.start(article, None)
    edited = admin_save_queries(
        superuser_client,
        f"/admin/conditions/conditionarticle/{copy.pk}/change/",
        {"body": "## Causes\n\nA fall or a car crash."},
    )
    # The publish gate reads the content before and after (its fingerprint), and a working
    # copy's save writes its audit event ("Saved a working copy"). The article's other names
    # (conditions A–Z) are read once each by their inline, the fingerprints, the revision
    # and the search entry: a fixed cost, whatever the article has. Its symptoms' shared
    # counts are counted again (its symptoms read, the counts read, deleted and written),
    # and the kept counts of the common pairs among them (deleted, the pairs read).
    assert (added, edited) == (61, 70)


def test_admin_add_and_edit_of_an_faq_cost_few_queries(superuser_client):
    symptoms = [str(make_symptom(name).pk) for name in ("Neck pain", "Headache")]
    added = admin_save_queries(
        superuser_client,
        "/admin/conditions/faqarticle/add/",
        {"title": "Neck questions", "summary": "Common questions.", "symptoms": symptoms,
         "status": DRAFT, **faq_questions(0, 3)},
    )  # fmt: skip
    faq = FaqArticle.objects.get()
    FaqArticle.objects.filter(pk=faq.pk).update(status=PUBLISHED, published_at=timezone.now())
    copy = working_copies.start(faq, None)
    edited = admin_save_queries(
        superuser_client,
        f"/admin/conditions/faqarticle/{copy.pk}/change/",
        {
            "items-0-answer": "Usually poor posture.",
            "items-3-question": "",
            "items-TOTAL_FORMS": "3",
        },
    )
    assert (added, edited) == (75, 81)  # 5 and 6 of them recounting shared symptoms
