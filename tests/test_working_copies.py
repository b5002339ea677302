"""Working copies: a live article is changed in a copy that readers never see, until a
medical reviewer publishes it (now, or at a scheduled time)."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from reversion.models import Version

from conditions import narrowing, working_copies
from conditions.caching import WORKER_PAGES
from conditions.models import Article, AuditEvent, ConditionArticle, FaqArticle, Source
from tests.browser_forms import admin_change_form
from tests.factories import make_condition, make_faq, ready_to_publish

pytestmark = pytest.mark.django_db

Status = Article.Status
CONDITIONS = "/admin/conditions/conditionarticle/"
FAQS = "/admin/conditions/faqarticle/"


def change_url(article) -> str:
    admin = FAQS if article.kind == Article.Kind.FAQ else CONDITIONS
    return f"{admin}{article.pk}/change/"


def start_copy(client, live) -> ConditionArticle | FaqArticle:
    admin = FAQS if live.kind == Article.Kind.FAQ else CONDITIONS
    response = client.post(f"{admin}{live.pk}/working-copy/start/")
    assert response.status_code == 302, response.status_code
    copy = Article.objects.get(live_article=live).specific()
    assert response["Location"] == change_url(copy)
    return copy


def save_copy(client, copy, **changes):
    data = admin_change_form(client, change_url(copy))
    data.update(changes)
    response = client.post(change_url(copy), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def publish_copy(client, copy, **data):
    """Press "Publish working copy" (now, unless `data` says when), once Sam, a reviewer who
    wrote none of it, has signed the copy off: the publish gate is tested on its own."""
    ready_to_publish(copy)
    return client.post(f"{CONDITIONS}{copy.pk}/working-copy/publish/", data or {"when": "now"})


def public_views(client, live) -> dict[str, bytes]:
    """Everything readers could see of the live article, as bytes."""
    return {
        url: client.get(url).content
        for url in [
            live.get_absolute_url(),
            "/conditions/",
            "/search/?q=whiplash",
            "/search/?q=dizziness",
            "/symptoms/",
            "/symptoms/neck-pain/",
            "/symptoms/dizziness/",
            "/sitemap.xml",
            "/sitemap-conditions.xml",
            "/feed/",
            "/",
        ]
    }


@pytest.fixture
def live():
    return make_condition(
        "Whiplash",
        symptoms=["Neck pain"],
        body="## About whiplash\n\nThe reviewed text.",
        reviewed_by="Dr Asha Patel, MRCGP",
    )


def test_live_article_form_is_read_only_with_a_way_to_edit_a_working_copy(editor_client, live):
    page = editor_client.get(change_url(live)).content.decode()

    assert "This page is live" in page
    assert "Edit as a working copy" in page
    assert 'name="_save"' not in page


def test_posting_to_a_live_article_changes_nothing(reviewer_client, live, reader):
    before = reader.get(live.get_absolute_url()).content
    data = {"title": "Whiplash", "summary": "Changed.", "body": "Unreviewed text."}

    response = reviewer_client.post(change_url(live), data)

    assert response.status_code == 403
    assert "Unreviewed text." in response.content.decode()  # given back to copy
    assert reader.get(live.get_absolute_url()).content == before


def test_while_a_working_copy_exists_readers_see_the_live_page_unchanged_until_published(
    editor_client, reviewer_client, reader, live
):
    make_condition("Vertigo", symptoms=["Dizziness"])
    before = public_views(reader, live)
    assert reader.get(live.get_absolute_url())["X-Cache"] == "hit"  # the page cache is on

    copy = start_copy(editor_client, live)
    save_copy(
        editor_client,
        copy,
        title="Whiplash injury",
        body="## About whiplash\n\nThe corrected text.",
        symptoms=[str(s.pk) for s in live.symptoms.all()]
        + [str(s.pk) for s in Article.objects.get(title="Vertigo").symptoms.all()],
        status=Status.IN_REVIEW,
    )

    assert public_views(reader, live) == before
    listing = editor_client.get(CONDITIONS).content.decode()
    assert "Live, with unpublished changes in review" in listing
    # Not listed as an article itself.
    assert f'field-title"><a href="{CONDITIONS}{copy.pk}/change/"' not in listing
    assert f'field-title"><a href="{CONDITIONS}{live.pk}/change/"' in listing

    response = publish_copy(reviewer_client, copy)
    assert response.status_code == 302

    after = public_views(reader, live)
    page = after[live.get_absolute_url()].decode()
    assert "The corrected text." in page and "Whiplash injury" in page
    # The address stays the same (the sitemap lists it, as before); the copy's never shows.
    assert b"/conditions/whiplash/" in after["/sitemap-conditions.xml"]
    assert not any(b"working-copy" in content for content in [*before.values(), *after.values()])
    assert b"Whiplash injury" in after["/feed/"]
    assert b"injury" in after["/search/?q=whiplash"]
    assert after["/symptoms/dizziness/"] != before["/symptoms/dizziness/"]
    assert b"Whiplash injury" in after["/symptoms/dizziness/"]
    # Same row, same address; the copy is gone.
    live.refresh_from_db()
    assert (live.title, live.slug, live.status) == ("Whiplash injury", "whiplash", Status.PUBLISHED)
    assert not Article.objects.filter(live_article__isnull=False).exists()
    assert Version.objects.get_for_object(live).first().revision.comment == (
        "Published the working copy"
    )
    actions = list(
        AuditEvent.objects.order_by("id").values_list("action", "user__username", "article")
    )
    assert actions == [
        (AuditEvent.Action.COPY_STARTED, "ed", live.pk),
        (AuditEvent.Action.COPY_SAVED, "ed", live.pk),
        # Recorded on the copy, which is gone now (the event keeps its title).
        (AuditEvent.Action.SUBMITTED, "ed", None),
        (AuditEvent.Action.COPY_PUBLISHED, "rita", live.pk),
    ]


def test_a_working_copys_symptoms_change_no_narrowed_page_until_published(
    editor_client, reviewer_client, reader, live, monkeypatch
):
    # Kept counts for every shared pair (the site keeps them from 200 articles): a copy in
    # review, with a symptom the live page lacks, must not reach a narrowed page's counts.
    monkeypatch.setattr(narrowing, "KEEP_NARROWED_FROM", 1)
    make_condition("Neck strain", symptoms=["Neck pain", "Dizziness", "Headache"])
    make_condition("Vertigo", symptoms=["Neck pain", "Dizziness"])
    narrowed = [
        "/symptoms/neck-pain/?with=dizziness",
        "/symptoms/dizziness/further-symptoms/?with=neck-pain",
    ]
    before = {url: reader.get(url).content for url in narrowed}
    assert b"Whiplash" not in before[narrowed[0]]

    copy = start_copy(editor_client, live)
    dizziness = Article.objects.get(title="Vertigo").symptoms.get(name="Dizziness")
    save_copy(
        editor_client,
        copy,
        symptoms=[str(s.pk) for s in live.symptoms.all()] + [str(dizziness.pk)],
        status=Status.IN_REVIEW,
    )
    assert {url: reader.get(url).content for url in narrowed} == before

    assert publish_copy(reviewer_client, copy).status_code == 302
    page = reader.get(narrowed[0]).content.decode()
    assert "Whiplash" in page and '<h2 id="results-title">3 articles</h2>' in page


def test_an_editor_can_start_and_save_a_working_copy_but_not_publish_it(
    editor_client, reader, live
):
    copy = start_copy(editor_client, live)
    page = editor_client.get(change_url(copy)).content.decode()
    assert "Working copy of the live page" in page
    assert "working-copy/publish/" not in page
    assert 'value="published"' not in page

    data = admin_change_form(editor_client, change_url(copy))
    data.update(status=Status.PUBLISHED, body="Unreviewed text.")
    editor_client.post(change_url(copy), data)  # a hand-made post
    assert publish_copy(editor_client, copy).status_code == 403

    copy.refresh_from_db()
    assert copy.status == Status.DRAFT and "Unreviewed" not in copy.body
    assert "Unreviewed" not in reader.get(live.get_absolute_url()).content.decode()


def test_a_reviewer_cannot_publish_the_copy_through_its_own_status(reviewer_client, live):
    copy = start_copy(reviewer_client, live)
    data = admin_change_form(reviewer_client, change_url(copy))
    data.update(status=Status.PUBLISHED)

    response = reviewer_client.post(change_url(copy), data)

    assert response.status_code == 200  # the form, with the error
    copy.refresh_from_db()
    assert copy.status == Status.DRAFT


def test_opening_the_working_copy_twice_gives_the_same_copy(editor_client, live):
    first = start_copy(editor_client, live)
    second = start_copy(editor_client, live)

    assert first.pk == second.pk
    assert "Open the working copy" in editor_client.get(change_url(live)).content.decode()


def test_the_working_copy_keeps_symptoms_questions_and_sources(editor_client, reviewer_client):
    faq = make_faq(
        "Neck pain questions",
        items=[("Is it serious?", "Rarely."), ("Will it go?", "Usually.")],
        symptoms=["Neck pain"],
    )
    Source.objects.create(article=faq, title="NHS: neck pain", publisher="NHS")
    anchors = list(faq.items.values_list("anchor", flat=True))

    copy = start_copy(editor_client, faq)

    assert [s.name for s in copy.symptoms.all()] == ["Neck pain"]
    assert list(copy.items.values_list("question", "answer", "anchor")) == [
        ("Is it serious?", "Rarely.", anchors[0]),
        ("Will it go?", "Usually.", anchors[1]),
    ]
    assert list(copy.sources.values_list("title", flat=True)) == ["NHS: neck pain"]

    data = admin_change_form(editor_client, change_url(copy))
    data["items-0-answer"] = "Rarely; see below when to get help."
    save_copy(editor_client, copy, **data)
    assert faq.items.get(anchor=anchors[0]).answer == "Rarely."

    ready_to_publish(copy)  # signed off by Sam: the gate is tested on its own
    response = reviewer_client.post(f"{FAQS}{copy.pk}/working-copy/publish/", {"when": "now"})

    assert response.status_code == 302
    assert faq.items.get(anchor=anchors[0]).answer == "Rarely; see below when to get help."
    assert faq.sources.count() == 1


def test_discarding_a_working_copy_leaves_the_live_page(editor_client, reader, live):
    before = reader.get(live.get_absolute_url()).content
    copy = start_copy(editor_client, live)
    save_copy(editor_client, copy, body="Abandoned text.")
    discard_url = f"{CONDITIONS}{copy.pk}/working-copy/discard/"

    assert "Yes, discard" in editor_client.get(discard_url).content.decode()
    assert Article.objects.filter(pk=copy.pk).exists()  # only asked
    assert editor_client.post(discard_url).status_code == 302

    assert not Article.objects.filter(pk=copy.pk).exists()
    assert reader.get(live.get_absolute_url()).content == before
    assert AuditEvent.objects.filter(action=AuditEvent.Action.COPY_DISCARDED).count() == 1
    # A discarded copy can't be recovered as a second article.
    version = Version.objects.get_deleted(ConditionArticle).get()
    recover_list = editor_client.get(f"{CONDITIONS}recover/").content.decode()
    assert f"recover/{version.pk}/" not in recover_list
    assert editor_client.get(f"{CONDITIONS}recover/{version.pk}/").status_code == 404


def test_compare_shows_what_the_copy_changes(editor_client, live):
    copy = start_copy(editor_client, live)
    save_copy(editor_client, copy, body="## About whiplash\n\nThe corrected text.")

    page = editor_client.get(f"{CONDITIONS}{copy.pk}/working-copy/compare/").content.decode()

    assert "<del>reviewed </del><ins>corrected </ins>" in page
    assert "Unchanged: Title" in page


def test_scheduled_publishing_keeps_the_live_page_until_its_time(
    editor_client, reviewer_client, reader, live
):
    copy = start_copy(editor_client, live)
    save_copy(editor_client, copy, body="## About whiplash\n\nThe corrected text.")
    when = timezone.localtime(timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)

    response = publish_copy(
        reviewer_client, copy, when="later", publish_at=when.strftime("%Y-%m-%dT%H:%M")
    )

    assert response.status_code == 302
    assert "scheduled to be published" in reviewer_client.get(change_url(copy)).content.decode()
    with time_machine.travel(when - timedelta(minutes=1)):
        call_command("publish_scheduled")
        assert "reviewed text" in reader.get(live.get_absolute_url()).content.decode()
    with time_machine.travel(when + timedelta(minutes=1)):
        call_command("publish_scheduled")
        call_command("publish_scheduled")  # again, as an overlapping run would: nothing more
        assert "corrected text" in reader.get(live.get_absolute_url()).content.decode()
    assert not Article.objects.filter(pk=copy.pk).exists()
    assert list(
        AuditEvent.objects.filter(
            action__in=[AuditEvent.Action.COPY_SCHEDULED, AuditEvent.Action.COPY_PUBLISHED]
        ).values_list("action", "user__username")
    ) == [(AuditEvent.Action.COPY_PUBLISHED, "rita"), (AuditEvent.Action.COPY_SCHEDULED, "rita")]


def test_a_run_that_overlaps_another_finds_nothing_left_to_publish(
    editor_client, reviewer, reader, live
):
    copy = start_copy(editor_client, live)
    save_copy(editor_client, copy, body="## About whiplash\n\nThe corrected text.")
    ready_to_publish(copy)  # signed off by Sam: the gate is tested on its own
    Article.objects.filter(pk=copy.pk).update(
        publish_copy_at=timezone.now(), publish_copy_by=reviewer
    )
    # Both runs listed the copy as due; the first publishes it, the second comes after.
    seen_by_the_second_run = Article.objects.get(pk=copy.pk)
    assert [refusals for _, refusals in working_copies.publish_due()] == [[]]

    assert working_copies.publish(seen_by_the_second_run, reviewer, scheduled=True) is None
    assert working_copies.publish_due() == []
    assert AuditEvent.objects.filter(action=AuditEvent.Action.COPY_PUBLISHED).count() == 1
    assert "corrected text" in reader.get(live.get_absolute_url()).content.decode()


def test_restoring_a_revision_of_a_live_article_gives_a_working_copy(
    editor_client, reviewer_client, reader, live
):
    for text in ["The second text.", "The third text."]:
        copy = start_copy(editor_client, live)
        save_copy(editor_client, copy, body=f"## About whiplash\n\n{text}")
        publish_copy(reviewer_client, copy)
    first = Version.objects.get_for_object(live).order_by("pk").first()
    assert "third text" in reader.get(live.get_absolute_url()).content.decode()
    live_page = reader.get(live.get_absolute_url()).content

    restore_url = f"{CONDITIONS}{live.pk}/history/{first.pk}/"
    assert "into its working copy" in editor_client.get(restore_url).content.decode()
    response = editor_client.post(restore_url)

    assert response.status_code == 302
    copy = Article.objects.get(live_article=live).specific()
    assert "The second text." in copy.body
    assert reader.get(live.get_absolute_url()).content == live_page
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RESTORED_INTO_COPY).count() == 1


def test_deleting_a_live_article_needs_a_reviewer_and_says_it_is_live(
    editor_client, reviewer_client, live
):
    delete_url = f"{CONDITIONS}{live.pk}/delete/"

    assert editor_client.get(delete_url).status_code == 403
    assert editor_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Article.objects.filter(pk=live.pk).exists()
    assert "is live" in reviewer_client.get(delete_url).content.decode()


def test_approving_a_working_copy_in_review_publishes_it_and_tells_its_author(
    editor, editor_client, second_reviewer_client, reader, live, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        copy = start_copy(editor_client, live)
        save_copy(
            editor_client,
            copy,
            body="## About whiplash\n\nThe corrected text.",
            status=Status.IN_REVIEW,
        )
        ready_to_publish(copy)  # signed off by Sam: the gate is tested on its own

        response = second_reviewer_client.post(
            f"{CONDITIONS}{copy.pk}/moderate/", {"decision": "approve"}
        )

    assert response.status_code == 302 and response["Location"] == change_url(live)
    assert "corrected text" in reader.get(live.get_absolute_url()).content.decode()
    assert not Article.objects.filter(pk=copy.pk).exists()
    approved = [(m.subject, m.to) for m in mailoutbox if m.subject.startswith("Approved")]
    assert approved == [(f"Approved: {live.title}", [editor.email])]


@pytest.mark.django_db(transaction=True)  # changes reach Redis as they commit
def test_with_the_cache_in_redis_every_app_server_shows_the_copy_once_published(
    shared_redis, editor_client, reviewer_client, reader
):
    live = make_condition("Whiplash", symptoms=["Neck pain"], body="## About\n\nOld text.")
    reader.get(live.get_absolute_url())
    before = reader.get(live.get_absolute_url())
    assert before["X-Cache"] == "hit"

    copy = start_copy(editor_client, live)
    save_copy(editor_client, copy, body="## About\n\nThe corrected text.")
    WORKER_PAGES.clear()  # another app server: only Redis is shared
    assert reader.get(live.get_absolute_url()).content == before.content

    assert publish_copy(reviewer_client, copy).status_code == 302
    WORKER_PAGES.clear()

    after = reader.get(live.get_absolute_url())
    assert after["X-Cache"] == "miss" and b"The corrected text." in after.content


def test_a_working_copy_in_review_is_found_from_the_admin_home(
    editor_client, reviewer_client, live
):
    copy = start_copy(editor_client, live)
    save_copy(editor_client, copy, body="## About whiplash\n\nBetter.", status=Status.IN_REVIEW)

    home = reviewer_client.get("/admin/").content.decode()
    assert "<strong>1</strong> article awaiting review" in home
    waiting = reviewer_client.get(CONDITIONS, {"awaiting": "review"}).content.decode()

    assert f'href="{CONDITIONS}{live.pk}/change/?' in waiting
    assert 'field-state">Live, with unpublished changes in review' in waiting
