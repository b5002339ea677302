"""A symptom page's counts ("Also have… Dizziness 2", "3 articles"), a page narrowed by two
symptoms many articles share, and the symptoms A to Z are read from counts kept up to date as
content changes (conditions.models.SharedSymptoms, NarrowedSymptoms). After every kind of
change an editor, a reviewer or the operator makes, they must be what counting the published
articles themselves gives, on the page as a reader sees it."""

import contextlib
import threading
import time
from collections import Counter
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.utils import timezone
from reversion.models import Version

from conditions import narrowing
from conditions.models import Article, ConditionArticle, SharedSymptoms, Symptom
from conditions.signals import atomic_change
from conditions.vocabulary import delete_symptoms, merge_symptoms
from tests.browser_forms import edit_live_article
from tests.factories import DRAFT, PUBLISHED, make_condition, make_symptom, ready_to_publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def every_narrowing_kept(monkeypatch):
    """Counts kept for every pair of symptoms that shares an article (on the site, for pairs
    that many articles share): the few articles here then check the kept narrowed counts
    after every change below."""
    monkeypatch.setattr(narrowing, "KEEP_NARROWED_FROM", 1)


def assert_counts_are_the_articles_own() -> None:
    """Every symptom's kept counts, and the A to Z's, equal counting its published articles
    one by one, and so do the counts of every narrowing by two symptoms that share articles
    (read from their kept counts)."""
    symptoms_of = {
        article.pk: {symptom.pk for symptom in article.symptoms.all()}
        for article in Article.objects.published().prefetch_related("symptoms")
    }

    def counted(*carrying: int) -> dict[int, int]:
        counts = Counter()
        for symptoms in symptoms_of.values():
            if symptoms.issuperset(carrying):
                counts.update(symptoms)
        return dict(counts)

    assert narrowing.shared_symptom_counts() == counted()
    symptoms = list(Symptom.objects.all())
    for symptom in symptoms:
        assert narrowing.shared_symptom_counts(symptom) == counted(symptom.pk), symptom.name
        assert narrowing.symptom_counts([symptom]) == counted(symptom.pk), symptom.name
        for other in counted(symptom.pk).keys() - {symptom.pk}:  # those its articles have
            other = Symptom.objects.get(pk=other)
            both = narrowing.symptom_counts([symptom, other])
            assert both == counted(symptom.pk, other.pk), (symptom.name, other.name)
            kept = narrowing.narrowed_counts(other, symptom)  # None: not kept, counted live
            if kept is not None or both[symptom.pk] >= narrowing.KEEP_NARROWED_FROM:
                assert kept == both, (symptom.name, other.name)


def offered(reader, slug: str, query: str = "") -> dict[str, str]:
    """The further symptoms a symptom page (narrowed by `query`) offers, with the count it
    shows for each, and its own count of articles (key "articles")."""
    import re

    page = reader.get(f"/symptoms/{slug}/{query}").content.decode()
    chips = re.findall(r'class="chip" href="[^"]+">([^<]+?) <span class="count">(\d+)<', page)
    heading = re.search(r'<h2 id="results-title">(\d+) articles?</h2>', page)
    return {**dict(chips), "articles": heading[1]}


@pytest.fixture
def three_articles():
    make_condition("Whiplash", ["Neck pain", "Headache", "Dizziness"])
    make_condition("Tension headache", ["Neck pain", "Headache"])
    make_condition("Torticollis", ["Neck pain", "Neck stiffness"])


def test_a_symptom_page_shows_how_many_articles_each_further_symptom_leaves(reader, three_articles):
    assert offered(reader, "neck-pain") == {
        "Headache": "2", "Dizziness": "1", "Neck stiffness": "1", "articles": "3"
    }  # fmt: skip
    assert_counts_are_the_articles_own()


def test_adding_and_removing_an_article_s_symptoms_changes_the_counts(reader, three_articles):
    torticollis = ConditionArticle.objects.get(title="Torticollis")
    torticollis.symptoms.add(make_symptom("Headache"))
    assert offered(reader, "neck-pain")["Headache"] == "3"

    whiplash = ConditionArticle.objects.get(title="Whiplash")
    whiplash.symptoms.set([make_symptom("Neck pain"), make_symptom("Neck stiffness")])
    assert offered(reader, "neck-pain") == {
        "Headache": "2", "Neck stiffness": "2", "articles": "3"
    }  # fmt: skip
    assert_counts_are_the_articles_own()

    whiplash.symptoms.clear()
    assert offered(reader, "neck-pain")["articles"] == "2"
    assert_counts_are_the_articles_own()


def test_an_unpublished_or_deleted_article_is_no_longer_counted(reader, three_articles):
    whiplash = ConditionArticle.objects.get(title="Whiplash")
    whiplash.status = DRAFT
    whiplash.save()
    assert offered(reader, "neck-pain") == {
        "Headache": "1", "Neck stiffness": "1", "articles": "2"
    }  # fmt: skip
    assert_counts_are_the_articles_own()

    whiplash.status = PUBLISHED
    whiplash.save()
    ConditionArticle.objects.get(title="Tension headache").delete()
    assert offered(reader, "neck-pain") == {
        "Headache": "1", "Dizziness": "1", "Neck stiffness": "1", "articles": "2"
    }  # fmt: skip
    assert_counts_are_the_articles_own()


def test_a_narrowing_is_kept_once_enough_articles_share_it_and_counted_live_below(
    reader, monkeypatch
):
    monkeypatch.setattr(narrowing, "KEEP_NARROWED_FROM", 3)
    whiplash = make_condition("Whiplash", ["Neck pain", "Headache", "Dizziness"])
    make_condition("Tension headache", ["Neck pain", "Headache"])
    neck_pain, headache = make_symptom("Neck pain"), make_symptom("Headache")
    assert narrowing.narrowed_counts(neck_pain, headache) is None  # 2 articles: counted live
    assert offered(reader, "neck-pain", "?with=headache") == {"Dizziness": "1", "articles": "2"}

    make_condition("Occipital neuralgia", ["Neck pain", "Headache", "Tingling"])
    assert narrowing.narrowed_counts(neck_pain, headache) == {
        neck_pain.pk: 3, headache.pk: 3, make_symptom("Dizziness").pk: 1,
        make_symptom("Tingling").pk: 1,
    }  # fmt: skip
    assert offered(reader, "neck-pain", "?with=headache") == {
        "Dizziness": "1",
        "Tingling": "1",
        "articles": "3",
    }

    whiplash.status = DRAFT
    whiplash.save()  # 2 again: the kept counts go, and the page counts live
    assert narrowing.narrowed_counts(neck_pain, headache) is None
    assert offered(reader, "neck-pain", "?with=headache") == {"Tingling": "1", "articles": "2"}
    assert_counts_are_the_articles_own()


def test_an_article_scheduled_for_later_is_counted_once_its_time_comes(reader, three_articles):
    make_condition(
        "Scheduled", ["Neck pain", "Dizziness"], published_at=timezone.now() + timedelta(seconds=2)
    )
    assert offered(reader, "neck-pain")["Dizziness"] == "1"
    assert_counts_are_the_articles_own()

    time.sleep(2.1)  # no row changes when the time comes
    assert offered(reader, "neck-pain")["Dizziness"] == "2"
    assert_counts_are_the_articles_own()


def test_deleting_and_merging_symptoms_keeps_the_counts_right(reader, three_articles):
    make_condition("Vertigo", ["Dizziness", "Vertigo", "Headache"])
    merge_symptoms(make_symptom("Dizziness"), [make_symptom("Vertigo")])
    assert_counts_are_the_articles_own()

    delete_symptoms([make_symptom("Headache")])
    assert offered(reader, "neck-pain") == {
        "Dizziness": "1", "Neck stiffness": "1", "articles": "3"
    }  # fmt: skip
    assert_counts_are_the_articles_own()


def test_a_revision_restored_and_published_brings_its_symptoms_counts_back(reviewer_client):
    article = ready_to_publish(make_condition("Whiplash", ["Neck pain", "Dizziness"], status=DRAFT))
    reviewer_client.post(
        "/admin/conditions/conditionarticle/",
        {"action": "publish_selected", "_selected_action": [article.pk]},
    )
    published = Version.objects.get_for_object(article).first()
    headache, neck_pain = make_symptom("Headache"), make_symptom("Neck pain")
    edit_live_article(reviewer_client, article, {"symptoms": [str(neck_pain.pk), str(headache.pk)]})
    assert set(article.symptoms.names()) == {"Neck pain", "Headache"}
    assert_counts_are_the_articles_own()

    restore_url = f"/admin/conditions/conditionarticle/{article.pk}/history/{published.pk}/"
    assert reviewer_client.post(restore_url).status_code == 302  # into its working copy
    copy = Article.objects.get(live_article=article)
    ready_to_publish(copy)
    publish_url = f"/admin/conditions/conditionarticle/{copy.pk}/working-copy/publish/"
    assert reviewer_client.post(publish_url, {"when": "now"}).status_code == 302

    assert set(article.symptoms.names()) == {"Neck pain", "Dizziness"}
    assert_counts_are_the_articles_own()


def test_imported_and_generated_articles_are_counted():
    samples = Path(settings.BASE_DIR) / "conditions" / "sample_content"
    call_command("import_articles", str(samples), publish=True, stdout=StringIO())
    assert Article.objects.published().count() > 1
    assert_counts_are_the_articles_own()

    # generate_demo_content writes in bulk (no signals) and counts everything again.
    call_command("generate_demo_content", "60", "--symptoms", "40", stdout=StringIO())
    assert SharedSymptoms.objects.count() > 40
    assert_counts_are_the_articles_own()


@pytest.mark.django_db(transaction=True)
def test_two_editors_publishing_articles_with_the_same_symptoms_at_once_are_both_counted():
    """Each save counts its symptoms' pairs again, inside its own transaction. Two at the same
    instant on PostgreSQL would each count without the other's uncommitted article, and the
    later would write a count one short, unless they count one after the other."""
    drafts = [
        make_condition(title, ["Neck pain", "Headache"], status=DRAFT)
        for title in ("Whiplash", "Tension headache")
    ]
    # On PostgreSQL both have written their article before either counts: the race. SQLite
    # lets one writer at a time (the in-memory test database refuses a second, rather than
    # making it wait, so here they take turns), so there they meet before starting.
    meet_after_writing = connection.vendor == "postgresql"
    meeting = threading.Barrier(2, timeout=10)
    one_writer = threading.Lock() if not meet_after_writing else contextlib.nullcontext()
    errors = []

    def publish(article):
        try:
            if not meet_after_writing:
                meeting.wait()
            with one_writer, atomic_change():
                article.status = PUBLISHED
                article.save()
                if meet_after_writing:
                    meeting.wait()
        except Exception as error:  # reported below, in the test's own thread
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=publish, args=(article,)) for article in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors and not any(thread.is_alive() for thread in threads)
    neck_pain = Symptom.objects.get(name="Neck pain")
    headache = Symptom.objects.get(name="Headache")
    assert narrowing.shared_symptom_counts(neck_pain)[headache.pk] == 2
    assert_counts_are_the_articles_own()
