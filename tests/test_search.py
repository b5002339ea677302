"""Search finds the right published article however readers describe their symptoms.

The whole file runs on SQLite (FTS5) and again on PostgreSQL (full-text search, pg_trgm).
"""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from conditions.models import Article, FaqItem, SearchEntry, Symptom
from conditions.search import results, search
from conditions.search.postgres import PostgreSQLSearch
from conditions.search.sqlite import SQLiteSearch
from tests.conftest import shared_by_the_tests_inside
from tests.factories import DRAFT, make_condition, make_faq, make_symptom

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parent.parent / "conditions" / "sample_content"
STIFF_AND_DIZZY = "What causes neck stiffness and dizziness in the back of the neck?"
SPASMS_FAQ = "What causes muscle spasms in back of head?"


def titles(query: str, **filters) -> list[str]:
    return [hit.article.title for hit in search(query, **filters).hits]


def test_british_spelling_in_an_article_is_found_by_the_american_one():
    make_condition("Anaemia", body="Anaemia can make you tired and breathless.")

    assert titles("anemia") == ["Anaemia"]


def test_a_misspelling_that_finds_nothing_shows_the_corrected_results():
    make_condition("Whiplash", body="A sudden jolt of the head strains the neck.")

    results = search("whiplsh")

    assert results.showing_suggestion and results.suggestion == "whiplash"
    assert [hit.article.title for hit in results.hits] == ["Whiplash"]


def test_title_match_ranks_above_body_match():
    make_condition("Something else", body="Whiplash is mentioned here in the body only.")
    make_condition("Whiplash", body="An injury of the neck.")

    assert titles("whiplash") == ["Whiplash", "Something else"]


def test_a_title_match_comes_first_among_more_matches_than_are_ranked(monkeypatch):
    # A common word matches thousands of articles, more than are ranked (MAX_MATCHES and, on
    # PostgreSQL, the candidates ranked by their full text): the article with the word in
    # its title still comes first, though it is the newest.
    monkeypatch.setattr(results, "MAX_MATCHES", 3)
    for number in range(8):
        make_condition(f"Case {number}", body="Whiplash is mentioned here in the body only.")
    make_condition("Whiplash", body="An injury of the neck.")

    found = search("whiplash")

    assert found.hits[0].article.title == "Whiplash"
    assert found.total == 3


def test_an_older_article_named_for_the_words_is_found_among_more_matches_than_are_ranked(
    monkeypatch,
):
    # Only the newest matches are ranked when a word matches more articles than that (the
    # candidates), and the newest with the word in their title: the older article titled
    # "Whiplash" still comes first. (PostgreSQL reads the newest entries a window at a time,
    # once there are more entries than a window: made small here.)
    monkeypatch.setattr(SQLiteSearch, "CANDIDATES", 4)
    few_candidates(monkeypatch, candidates=4, first_window=4)
    monkeypatch.setattr(results, "MAX_MATCHES", 3)
    make_condition("Whiplash", body="An injury of the neck.")
    for number in range(8):
        make_condition(f"Case {number}", body="Whiplash is mentioned here in the body only.")

    found = search("whiplash")

    assert found.hits[0].article.title == "Whiplash"
    assert found.total == 3


def test_filters_that_leave_few_of_the_ranked_matches_still_find_every_match(monkeypatch):
    # The one FAQ among many matching conditions is older than the candidates ranked: the
    # FAQ filter still finds it.
    monkeypatch.setattr(SQLiteSearch, "CANDIDATES", 3)
    few_candidates(monkeypatch, candidates=3, first_window=3)
    monkeypatch.setattr(results, "MAX_MATCHES", 2)
    make_faq("Neck questions", [("Is whiplash serious?", "Whiplash usually gets better.")])
    for number in range(6):
        make_condition(f"Case {number}", body="Whiplash is mentioned here in the body only.")

    assert [hit.article.title for hit in search("whiplash", kind="faq").hits] == ["Neck questions"]


def test_a_word_only_older_articles_have_is_found_however_many_newer_articles_there_are(
    monkeypatch,
):
    # On PostgreSQL, the newest entries read hold no match, so the older matches come from
    # the full-text index.
    few_candidates(monkeypatch, candidates=3, first_window=3)
    make_condition("Wry neck", body="Torticollis twists the neck to one side.")
    for number in range(12):
        make_condition(f"Case {number}", body="Stiffness after sleeping awkwardly.")

    assert titles("torticollis") == ["Wry neck"]


def test_a_common_word_ranks_its_newest_matches_as_sqlite_does(monkeypatch):
    # Every other article mentions the word: the first window of entries holds one match,
    # so the next is sized to hold the rest of the candidates. The oldest matches are left
    # out; what is ranked is the newest four or so.
    monkeypatch.setattr(SQLiteSearch, "CANDIDATES", 4)
    few_candidates(monkeypatch, candidates=4, first_window=2, max_window=10)
    monkeypatch.setattr(results, "MAX_MATCHES", 3)
    for number in range(16):
        body = "Whiplash is mentioned here." if number % 2 else "Stiffness after sleeping."
        make_condition(f"Case {number:02}", body=body)

    found = titles("whiplash")

    newest_matches = {f"Case {number:02}" for number in range(15, 6, -2)}  # 15, 13 … 7
    assert len(found) == 3 and set(found) <= newest_matches, found


def test_drafts_are_never_found_among_the_newest_matches_ranked(monkeypatch):
    # The newest matches (a draft, and a working copy of a live article) take the candidates'
    # places; only published articles are shown, and the older published matches fill in.
    monkeypatch.setattr(SQLiteSearch, "CANDIDATES", 2)
    few_candidates(monkeypatch, candidates=2, first_window=2)
    monkeypatch.setattr(results, "MAX_MATCHES", 2)
    for number in range(3):
        make_condition(f"Case {number}", body="Whiplash is mentioned here.")
    make_condition("Whiplash draft", status=DRAFT, body="Whiplash, unreviewed words.")
    make_condition("Whiplash second draft", status=DRAFT, body="Whiplash, unreviewed too.")

    found = search("whiplash")

    shown = [hit.article.title for hit in found.hits]
    assert len(shown) == 2 and set(shown) <= {"Case 0", "Case 1", "Case 2"}, shown
    assert found.total == 2  # "2 articles found": no draft is counted either


def few_candidates(monkeypatch, *, candidates: int, first_window: int, max_window: int = 100):
    """PostgreSQL's windows of newest entries, made small enough for a test's articles."""
    monkeypatch.setattr(PostgreSQLSearch, "CANDIDATES", candidates)
    monkeypatch.setattr(PostgreSQLSearch, "FIRST_WINDOW", first_window)
    monkeypatch.setattr(PostgreSQLSearch, "MAX_WINDOW", max_window)
    monkeypatch.setattr(PostgreSQLSearch, "RANK_EVERY_MATCH_BELOW", 2)


def test_an_article_whose_symptoms_match_more_query_words_ranks_higher():
    make_condition("One match", ["Headache"], body="About heads.")
    make_condition("Two matches", ["Headache", "Nausea"], body="About heads.")

    assert titles("headache nausea")[0] == "Two matches"


def test_drafts_never_appear_and_publishing_is_findable_at_once(reader):
    article = make_condition("Occipital neuralgia", status=DRAFT)
    assert titles("occipital") == []

    article.publish()
    assert titles("occipital") == ["Occipital neuralgia"]

    article.unpublish()
    assert titles("occipital") == []


def test_a_scheduled_article_appears_in_search_when_its_time_comes():
    publish_time = timezone.now() + timedelta(hours=3)
    make_condition("Occipital neuralgia", published_at=publish_time)

    assert titles("occipital") == []
    with time_machine.travel(publish_time + timedelta(minutes=1)):
        assert titles("occipital") == ["Occipital neuralgia"]


def test_an_edit_is_findable_at_once():
    article = make_condition("Whiplash", body="A neck injury.")

    article.body = "A neck injury, often after a car crash on a motorway."
    article.save()

    assert titles("motorway") == ["Whiplash"]


def test_faq_question_edits_and_deletions_are_reflected_at_once():
    faq = make_faq("Neck questions", [("Why does my neck click?", "Gas bubbles in the joint.")])
    item = faq.items.get()

    item.answer = "Usually harmless cracking of the facet joints."
    item.save()
    assert titles("facet") == ["Neck questions"]
    assert titles("bubbles") == []

    item.delete()
    assert titles("facet") == []


def test_a_new_synonym_or_renamed_symptom_is_findable_at_once():
    make_condition("Torticollis", ["Neck stiffness"], body="The head tilts to one side.")
    symptom = Symptom.objects.get(name="Neck stiffness")

    symptom.synonyms += ", wry neck"
    symptom.save()
    assert titles('"wry neck"') == ["Torticollis"]

    symptom.name = "Cricked neck"
    symptom.save()
    assert titles("cricked") == ["Torticollis"]


def test_changing_an_articles_symptoms_is_reflected_at_once():
    article = make_condition("Torticollis", body="The head tilts to one side.")

    article.symptoms.add(make_symptom("Dizziness"))
    assert titles("vertigo") == ["Torticollis"]

    article.symptoms.clear()
    assert titles("vertigo") == []


def test_a_deleted_article_leaves_the_index():
    article = make_condition("Torticollis")

    Article.objects.filter(pk=article.pk).delete()

    assert not SearchEntry.objects.exists()
    assert titles("torticollis") == []


def test_everything_but_the_marks_is_escaped(client):
    make_condition("Neck <b>pain</b> & stiffness", body="Text with <i>tags</i> & ampersands.")

    page = client.get("/search/", {"q": "ampersands"}).content.decode()

    results = page[page.index('class="search-results"') :]
    assert "<b>" not in results and "<i>" not in results
    assert "Neck &lt;b&gt;pain&lt;/b&gt; &amp; stiffness" in results
    assert "<mark>ampersands</mark>" in results


def test_results_are_paginated_and_a_page_past_the_end_is_not_found(client):
    for number in range(12):
        make_condition(f"Whiplash case {number}", body="Whiplash.")

    first = client.get("/search/", {"q": "whiplash"})
    second = client.get("/search/", {"q": "whiplash", "page": "2"})

    assert "12 articles found" in first.content.decode()
    assert first.content.decode().count('class="search-result"') == 10
    assert second.content.decode().count('class="search-result"') == 2
    assert client.get("/search/", {"q": "whiplash", "page": "3"}).status_code == 404
    assert client.get("/search/", {"q": "whiplash", "page": "x"}).status_code == 404


def test_rebuild_search_index_rebuilds_it_from_scratch():
    make_condition("Torticollis")
    SearchEntry.objects.all().delete()
    assert titles("torticollis") == []

    output = StringIO()
    call_command("rebuild_search_index", stdout=output)

    assert titles("torticollis") == ["Torticollis"]
    assert "Indexed 1 search entries" in output.getvalue()


@pytest.mark.parametrize("url", ["/", "/symptoms/", "/conditions/", "/faqs/", "/nowhere/"])
def test_every_page_has_a_search_box(client, url):
    page = client.get(url).content.decode()

    assert 'action="/search/"' in page and 'name="q"' in page


@pytest.fixture(scope="class")
def library(django_db_setup, django_db_blocker):
    """The two sample articles, plus others a search must rank below them: made once for
    the class of tests that only search them."""
    with shared_by_the_tests_inside(django_db_blocker):
        call_command("import_articles", str(SAMPLES), "--publish", stdout=StringIO())
        make_condition("Jaw pain and clicking", ["Jaw pain"], body="## Causes\n\nGrinding teeth.")
        make_condition(
            "Carpal tunnel syndrome",
            ["Tingling", "Numbness"],
            body="Pins and needles in the fingers at night. A stiff wrist in the morning.",
        )
        make_condition("Blurred vision", ["Blurred vision"], body="Tired eyes from screens.")
        make_faq(
            "Headache questions",
            [("Can a headache make you feel sick?", "Yes, migraines often do.")],
            ["Headache", "Nausea"],
        )
        yield


@pytest.mark.usefixtures("library")
class TestSearchingTheLibrary:
    """Searches of one library of articles, made once for the class (each test's own writes
    are still rolled back before the next)."""

    @pytest.mark.parametrize(
        "query, expected",
        [
            ("dizzyness", STIFF_AND_DIZZY),
            ("vertigo", STIFF_AND_DIZZY),
            ("lightheaded", STIFF_AND_DIZZY),
            ("stiff nek", STIFF_AND_DIZZY),
            ("stiffening", STIFF_AND_DIZZY),
            ("anaemia", STIFF_AND_DIZZY),  # the article says "anemia"
            ("anémia", STIFF_AND_DIZZY),
            ("why does my neck keep spasming", SPASMS_FAQ),
            ("spasm", SPASMS_FAQ),
            ("muscle knots at the base of the skull", SPASMS_FAQ),
            ("pins and needles", "Carpal tunnel syndrome"),
        ],
    )
    def test_readers_words_find_the_right_article_in_the_top_three(self, query, expected):
        assert expected in titles(query)[:3], titles(query)

    def test_typo_gets_a_did_you_mean_suggestion(self):
        results = search("stiff nek")

        assert results.suggestion == "stiff neck"

    def test_faq_hit_links_to_its_question(self):
        hit = next(h for h in search("pinched nerve").hits if h.question)

        anchor = FaqItem.objects.get(
            question="Can a pinched nerve in neck cause muscle spasms?"
        ).anchor
        assert hit.url == f"/faqs/what-causes-muscle-spasms-in-back-of-head/#{anchor}"

    def test_results_page_shows_type_marked_snippet_and_symptoms(self, client):
        page = client.get("/search/", {"q": "spasm"}).content.decode()

        assert "Questions and answers" in page and "Condition" in page
        assert "<mark>spasms</mark>" in page or "<mark>Spasms</mark>" in page
        assert 'href="/symptoms/muscle-spasm/"' in page

    def test_filters_by_type_and_symptom(self):
        assert titles("neck", kind="faq") == [SPASMS_FAQ]
        assert STIFF_AND_DIZZY in titles("neck", kind="condition")
        assert SPASMS_FAQ not in titles("neck", kind="condition")
        assert titles("neck", symptom="dizziness") == [STIFF_AND_DIZZY]

    @pytest.mark.parametrize(
        "query",
        [
            '"', '""', '"unbalanced', "neck*", "*", "-", "--neck", "neck -pain", "OR", "neck OR",
            "AND NOT", "NEAR(", "NEAR(neck pain", "((neck", "neck)", "'; DROP TABLE x; --",
            "1=1 OR 'a'='a'", "title:neck", "^neck", "neck:*", "a" * 3000, "", "   ", "😀 neck",
            "<script>alert(1)</script>", "%", "_", "\\",
        ],
    )  # fmt: skip
    def test_any_input_gives_a_normal_page(self, client, query):
        # (A NUL is refused before search sees it: tests/test_hostile_input.py.)
        response = client.get("/search/", {"q": query})

        assert response.status_code == 200
        assert "error" not in response.content.decode().lower()

    def test_symptom_suggestions_as_the_reader_types(self, client):
        response = client.get("/search/suggest/", {"q": "verti"})

        assert response.json()["symptoms"] == [
            {"name": "Dizziness", "url": "/symptoms/dizziness/", "articles": 1}
        ]
        assert client.get("/search/suggest/", {"q": "x"}).json() == {"symptoms": []}
