"""What readers can't find: searches counted anonymously (cached pages too, at no query), the
editors' report, acting on a query from it, and articles pinned to a search."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from reversion.models import Version

from conditions import search_insights
from conditions.content_version import content_version
from conditions.models import Article, PromotedResult, SearchCount, Symptom
from conditions.search_insights import flush_search_counts
from tests.factories import DRAFT, make_condition, make_symptom

pytestmark = pytest.mark.django_db

REPORT = "/admin/conditions/searchcount/"
SYNONYM = "/admin/conditions/searchcount/synonym/"
PIN = "/admin/conditions/promotedresult/add/"


@pytest.fixture(autouse=True)
def no_held_counts():
    """Each test starts without counts held from searches in other tests, as a fresh process."""
    search_insights.COUNTER.held.clear()
    search_insights.COUNTER.last_purged = None
    search_insights.COUNTER.retry_after = 0.0
    yield
    search_insights.COUNTER.held.clear()


def counts() -> dict[str, tuple[int, int]]:
    """Today's stored counts: {query: (searches, results)}."""
    return {
        row.query: (row.searches, row.results)
        for row in SearchCount.objects.filter(day=timezone.localdate())
    }


def counted(query: str, days_ago: int, searches: int, results: int) -> SearchCount:
    return SearchCount.objects.create(
        query=query,
        day=timezone.localdate() - timedelta(days=days_ago),
        searches=searches,
        results=results,
    )


# Counting searches.


def test_a_search_is_counted_by_its_words_with_the_number_of_results(reader):
    make_condition("Whiplash", body="A sudden jolt strains the neck.")
    make_condition("Neck strain", body="Whiplash is one cause.")

    reader.get("/search/?q=  WHIPLASH  ")
    reader.get("/search/?q=xyzzy")
    assert counts() == {}  # held in memory until written
    assert flush_search_counts() == 2

    assert counts() == {"whiplash": (1, 2), "xyzzy": (1, 0)}
    row = SearchCount.objects.get(query="whiplash")
    # Nothing about who searched is kept.
    assert {field.name for field in SearchCount._meta.fields} == {
        "id",
        "query",
        "day",
        "searches",
        "results",
    }
    assert str(row.day) == str(timezone.localdate())


def test_a_cached_search_page_costs_no_query_and_is_still_counted(
    reader, shared_redis, django_assert_num_queries
):
    make_condition("Whiplash", body="A sudden jolt strains the neck.")
    assert reader.get("/search/?q=whiplash")["X-Cache"] == "miss"

    with django_assert_num_queries(0):
        response = reader.get("/search/?q=whiplash")
    assert response["X-Cache"] == "hit"
    flush_search_counts()

    assert counts() == {"whiplash": (2, 1)}


def test_counts_are_added_to_those_already_written_in_one_statement(reader):
    counted("xyzzy", days_ago=0, searches=5, results=0)
    reader.get("/search/?q=xyzzy")
    reader.get("/search/?q=meningitis")

    # (Each list read before the next request, which empties the connection's query log.)
    with CaptureQueriesContext(connection) as capture:
        flush_search_counts()
    first = [query["sql"] for query in capture.captured_queries]
    reader.get("/search/?q=xyzzy")
    with CaptureQueriesContext(connection) as capture:
        flush_search_counts()
    second = [query["sql"] for query in capture.captured_queries]
    with CaptureQueriesContext(connection) as capture:
        flush_search_counts()
    third = capture.captured_queries

    assert counts() == {"xyzzy": (7, 0), "meningitis": (1, 0)}
    # Both rows in one statement ("2 times: INSERT ..."), and the expired counts deleted (the
    # first time each day).
    assert [sql[:17] for sql in first if "INSERT" in sql] == ["2 times: INSERT I"]
    assert sum("DELETE" in sql for sql in first) == 1
    assert sum("DELETE" in sql for sql in second) == 0
    assert third == []  # nothing held: nothing written


def test_counts_are_written_by_themselves_once_the_flush_interval_has_passed(reader, settings):
    settings.SEARCH_LOG_FLUSH_SECONDS = 0

    reader.get("/search/?q=xyzzy")

    assert counts() == {"xyzzy": (1, 0)}


def test_later_pages_filters_staff_and_absurd_queries_are_not_counted(reader, editor_client):
    for number in range(12):
        make_condition(f"Neck pain {number}", body="Neck pain.")
    reader.get("/search/?q=neck+pain&page=2")
    reader.head("/search/?q=neck+pain")
    reader.get("/search/?q=neck+pain&type=faq")
    editor_client.get("/search/?q=neck+pain")
    reader.get("/search/?q=" + "neck " * 30)
    reader.get("/search/?q=")
    reader.get("/search/")
    flush_search_counts()

    assert counts() == {}


def test_redis_down_does_not_stop_searches_being_served_or_counted(reader, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "neckinfo.redis_cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    make_condition("Whiplash", body="A sudden jolt strains the neck.")

    assert reader.get("/search/?q=whiplash").status_code == 200
    flush_search_counts()

    assert counts() == {"whiplash": (1, 1)}


def test_counts_the_database_cannot_take_are_kept_for_the_next_time(reader, settings):
    reader.get("/search/?q=xyzzy")
    with connection.cursor() as cursor:  # the table gone, as in a botched deploy
        cursor.execute("ALTER TABLE conditions_searchcount RENAME TO searchcount_away")

    assert flush_search_counts() == 0
    # Searches meanwhile don't try again each time, however often counts are written.
    settings.SEARCH_LOG_FLUSH_SECONDS = 0
    with CaptureQueriesContext(connection) as search:
        reader.get("/search/?q=xyzzy")
    assert search.captured_queries  # the page was rendered, and nothing written
    assert not [query for query in search.captured_queries if "INSERT" in query["sql"]]

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE searchcount_away RENAME TO conditions_searchcount")
    assert flush_search_counts() == 1
    assert counts() == {"xyzzy": (2, 0)}


def test_counts_older_than_the_retention_period_are_deleted(settings):
    settings.SEARCH_LOG_RETENTION_DAYS = 90
    counted("oldest kept", days_ago=89, searches=1, results=0)
    counted("too old", days_ago=90, searches=1, results=0)

    output = StringIO()
    call_command("purge_search_log", stdout=output)

    assert list(SearchCount.objects.values_list("query", flat=True)) == ["oldest kept"]
    assert "Deleted 1 search count older than 90 days." in output.getvalue()


# The report.


@pytest.fixture
def searches_over_three_months(db):
    counted("xyzzy", days_ago=0, searches=3, results=0)
    counted("meningitis", days_ago=20, searches=5, results=0)
    counted("whiplash", days_ago=60, searches=10, results=4)
    counted("whiplash", days_ago=2, searches=1, results=3)
    # Found nothing once, then found something after an article was written: not a gap now.
    counted("crick in neck", days_ago=10, searches=2, results=0)
    counted("crick in neck", days_ago=1, searches=1, results=2)


@pytest.mark.parametrize(
    "days, found_nothing, most_searched",
    [
        (7, ["xyzzy"], [("xyzzy", 3), ("crick in neck", 1), ("whiplash", 1)]),
        (30, ["meningitis", "xyzzy"], [("meningitis", 5), ("crick in neck", 3), ("xyzzy", 3)]),
        (90, ["meningitis", "xyzzy"], [("whiplash", 11), ("meningitis", 5)]),
    ],
)
def test_the_report_shows_what_found_nothing_and_what_was_most_searched_by_period(
    editor_client, searches_over_three_months, days, found_nothing, most_searched
):
    response = editor_client.get(f"{REPORT}?days={days}")

    report = response.context["report"]
    assert [row["query"] for row in report.found_nothing] == found_nothing
    top = [(row["query"], row["searches"]) for row in report.most_searched]
    assert top[: len(most_searched)] == most_searched
    assert f'<strong aria-current="page">Last {days} days</strong>' in response.text


def test_the_report_costs_the_same_however_many_queries_it_lists(
    editor_client, django_assert_max_num_queries
):
    for number in range(40):
        counted(f"query {number}", days_ago=number % 7, searches=number, results=number % 2)

    # The session, the user, their permissions (2), and one query for each table.
    with django_assert_max_num_queries(6):
        response = editor_client.get(REPORT)
    assert response.text.count("Start an article") == 40 + 20  # in both tables when found nothing


def test_hostile_words_readers_searched_for_are_shown_escaped(reader, editor_client):
    reader.get("/search/", {"q": "<script>alert(1)</script>"})
    reader.get("/search/", {"q": '"><img src=x onerror=alert(1)>'})
    flush_search_counts()

    page = editor_client.get(REPORT).text

    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    # Inside the action links too: the words are a value of the query string, nothing else.
    assert "?title=%3Cscript%3Ealert%281%29%3C%2Fscript%3E" in page


def test_readers_and_staff_without_the_role_cannot_see_the_report(reader, editor):
    counted("xyzzy", days_ago=0, searches=3, results=0)
    stranger = Client()
    stranger.force_login(User.objects.create_user("sol", is_staff=True))  # staff in no role

    assert reader.get(REPORT).status_code == 302  # to sign in
    assert "/login/" in reader.get(REPORT)["Location"]
    assert stranger.get(REPORT).status_code == 403
    assert "xyzzy" not in reader.get(REPORT, follow=True).text


def test_editors_and_reviewers_find_the_report_from_the_admin_home(editor_client, reviewer_client):
    counted("xyzzy", days_ago=0, searches=3, results=0)
    counted("whiplash", days_ago=0, searches=3, results=1)

    for person in (editor_client, reviewer_client):
        home = person.get("/admin/").text
        assert f'href="{REPORT}"' in home
        assert "<strong>1</strong> search found nothing in the last 7 days" in home
        assert person.get(REPORT).status_code == 200


# Acting on a query.


def test_start_an_article_from_a_query_opens_the_form_with_the_title_filled_in(editor_client):
    counted("occipital neuralgia", days_ago=0, searches=3, results=0)
    page = editor_client.get(REPORT).text
    link = "/admin/conditions/conditionarticle/add/?title=Occipital%20neuralgia"
    assert link in page

    form = editor_client.get(link).text

    assert 'value="Occipital neuralgia"' in form


def test_a_reviewer_adds_the_words_as_a_synonym_and_search_finds_the_symptoms_articles(
    reviewer_client, reader
):
    make_condition("Torticollis", ["Stiff neck"], body="The neck twists to one side.")
    stiff_neck = Symptom.objects.get(name="Stiff neck")
    counted("crick in my neck", days_ago=0, searches=4, results=0)
    version_before = content_version()["id"]

    form = reviewer_client.get(f"{SYNONYM}?q=crick+in+my+neck")
    assert 'value="crick in my neck"' in form.text
    response = reviewer_client.post(
        SYNONYM, {"words": "Crick in my  neck", "symptom": stiff_neck.pk}, follow=True
    )

    stiff_neck.refresh_from_db()
    assert stiff_neck.synonym_list[-1] == "crick in my neck"
    assert "“crick in my neck” is now a synonym of “Stiff neck”" in response.text
    # The symptom's own save: a revision in its history, and a new content version.
    assert Version.objects.get_for_object(stiff_neck).count() == 1
    assert content_version()["id"] != version_before
    results = reader.get("/search/?q=crick+in+my+neck").text
    assert "Torticollis" in results


def test_an_editor_cannot_change_the_synonyms_of_a_symptom_on_published_pages(
    editor_client,
):
    make_condition("Torticollis", ["Stiff neck"], body="The neck twists to one side.")
    stiff_neck = Symptom.objects.get(name="Stiff neck")

    response = editor_client.post(
        SYNONYM, {"words": "crick", "symptom": stiff_neck.pk}, follow=True
    )

    assert "a medical reviewer adds its synonyms" in response.text
    stiff_neck.refresh_from_db()
    assert stiff_neck.synonyms == ""
    # A symptom no published article carries yet, the editor may.
    new_symptom = make_symptom("Neck clicking")
    editor_client.post(SYNONYM, {"words": "crunching neck", "symptom": new_symptom.pk})
    new_symptom.refresh_from_db()
    assert new_symptom.synonyms == "crunching neck"


def test_words_with_a_comma_are_not_added_as_a_synonym(reviewer_client):
    symptom = make_symptom("Neck clicking")

    response = reviewer_client.post(SYNONYM, {"words": "click, crunch", "symptom": symptom.pk})

    assert "A synonym can&#x27;t contain a comma" in response.text
    symptom.refresh_from_db()
    assert symptom.synonyms == ""


# Promoted results.


def pin(client, query: str, article: Article, other_phrasings: str = ""):
    return client.post(
        PIN, {"query": query, "other_phrasings": other_phrasings, "article": article.pk}
    )


def result_titles(page: str) -> list[str]:
    """The titles of the results, in order, recommended ones first."""
    return re.findall(r'class="search-result__title"><a href="[^"]*">([^<]*)</a>', page)


def test_a_pinned_article_comes_first_marked_recommended_and_is_not_repeated(editor_client, reader):
    make_condition("Whiplash", body="A whiplash injury strains the neck.")
    make_condition("Neck strain", body="Whiplash, whiplash, whiplash.")
    nerve = make_condition("Occipital neuralgia", body="Shooting pain at the back of the head.")
    assert reader.get("/search/?q=whiplash")["X-Cache"] == "miss"

    response = pin(editor_client, "Whiplash", nerve, "neck jolt\nCAR  crash neck")
    assert response.status_code == 302
    assert PromotedResult.objects.get().query == "whiplash"

    for query in ("whiplash", "car crash neck"):
        page = reader.get(f"/search/?q={query}").text
        assert result_titles(page)[0] == "Occipital neuralgia"
        assert "Recommended</strong>" in page
    page = reader.get("/search/?q=neck+pain+back+of+the+head").text
    assert "Recommended" not in page  # another query: no pin
    # A pinned article the search also finds is listed once, as recommended.
    pin(editor_client, "shooting pain", nerve)
    page = reader.get("/search/?q=shooting+pain").text
    assert result_titles(page) == ["Occipital neuralgia"]


def test_a_pinned_article_not_published_is_never_shown(editor_client, reviewer_client, reader):
    draft = make_condition("Cervical spondylosis", status=DRAFT, body="Wear in the neck.")
    unpublished = make_condition("Neck arthritis", body="Wear in the neck.")
    pin(editor_client, "wear and tear", draft)
    pin(editor_client, "wear and tear", unpublished)
    assert reader.get("/search/?q=wear+and+tear").text.count("Recommended</strong>") == 1

    unpublished.status = Article.Status.UNPUBLISHED
    unpublished.save()
    page = reader.get("/search/?q=wear+and+tear").text

    assert "Recommended" not in page
    assert "Cervical spondylosis" not in page and "Neck arthritis" not in page


def test_a_working_copy_cannot_be_pinned(reviewer_client):
    from conditions import working_copies
    from tests.factories import ready_to_publish

    live = ready_to_publish(make_condition("Whiplash", body="A jolt."))
    copy = working_copies.start(live, user=None)

    response = pin(reviewer_client, "whiplash", copy)

    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not PromotedResult.objects.exists()


def test_pinning_from_the_report_opens_the_form_with_the_query_filled_in(editor_client):
    counted("back of head zaps", days_ago=0, searches=2, results=0)

    link = f"{PIN}?query=back%20of%20head%20zaps"
    assert link in editor_client.get(REPORT).text

    assert 'value="back of head zaps"' in editor_client.get(link).text


def test_a_search_that_only_a_pinned_article_answers_is_not_counted_as_finding_nothing(
    editor_client, reader
):
    nerve = make_condition("Occipital neuralgia", body="Shooting pain at the back of the head.")
    pin(editor_client, "xyzzy", nerve)

    reader.get("/search/?q=xyzzy")
    flush_search_counts()

    assert counts() == {"xyzzy": (1, 1)}


def test_a_pinned_search_costs_one_query_more_than_without_the_pin(editor_client, reader, settings):
    settings.PUBLIC_PAGE_CACHE = False  # every page rendered, so its queries can be counted
    for number in range(3):
        make_condition(f"Whiplash {number}", body="A whiplash injury strains the neck.")

    def queries_of_a_search_for_neck_jolt() -> tuple[int, bool]:
        reader.get("/search/?q=whiplash")  # what is kept until content changes is read here
        with CaptureQueriesContext(connection) as search:
            page = reader.get("/search/?q=neck+jolt").text
        return len(search.captured_queries), "Recommended</strong>" in page

    without_pin, recommended = queries_of_a_search_for_neck_jolt()
    assert not recommended
    pin(editor_client, "neck jolt", Article.objects.get(title="Whiplash 0"))
    with_pin, recommended = queries_of_a_search_for_neck_jolt()

    assert recommended
    assert with_pin == without_pin + 1  # the pinned articles, if still published
