"""Revision history, restoring, no lost updates between two editors, and renamed addresses."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from reversion.models import Version

from conditions.models import (
    Article,
    AuditEvent,
    ConditionArticle,
    FaqArticle,
    SlugRedirect,
    Symptom,
)
from conditions.vocabulary import merge_symptoms
from tests.browser_forms import add_inline_rows, admin_change_form, edit_live_article, form_data
from tests.factories import make_condition, ready_to_publish

pytestmark = pytest.mark.django_db

Status = Article.Status
FAQS = "/admin/conditions/faqarticle/"


def change_url(article) -> str:
    return f"/admin/conditions/{article._meta.model_name}/{article.pk}/change/"


def save(client, article, **changes):
    data = admin_change_form(client, change_url(article))
    data.update(changes)
    response = client.post(change_url(article), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return response


def publish(client, article, **changes):
    """Save `changes`, then publish the article as a reviewer does once another reviewer has
    signed off its content (the publish gate is not these tests' subject)."""
    if changes:
        save(client, article, **changes)
    ready_to_publish(article)
    return save(client, article, status=Status.PUBLISHED)


def faq_with_two_questions(client) -> FaqArticle:
    data = admin_change_form(client, f"{FAQS}add/")
    data.update(
        {
            "title": "Neck spasms",
            "slug": "neck-spasms",
            "summary": "Questions about neck spasms.",
        }
    )
    add_inline_rows(
        data,
        "items",
        [
            {"question": "Why does my neck spasm?", "answer": "Usually a strain."},
            {"question": "Can anxiety cause it?", "answer": "Yes, it can."},
        ],
    )
    assert client.post(f"{FAQS}add/", data).status_code == 302
    faq = ready_to_publish(FaqArticle.objects.get(slug="neck-spasms"))
    # Published as test setup, so that its first revision is the one the form saved.
    Article.objects.filter(pk=faq.pk).update(status=Status.PUBLISHED, published_at=timezone.now())
    return faq


def test_every_save_is_a_revision_with_author_and_time(reviewer_client):
    article = make_condition("Whiplash", status=Status.IN_REVIEW)

    save(reviewer_client, article, body="First correction.")
    save(reviewer_client, article, body="Second correction.")

    versions = Version.objects.get_for_object(article)
    assert versions.count() == 2
    assert {v.revision.user.username for v in versions} == {"rita"}
    history = reviewer_client.get(f"/admin/conditions/conditionarticle/{article.pk}/history/")
    assert history.content.decode().count('name="from"') == 2


def test_two_revisions_can_be_compared(reviewer_client):
    article = make_condition("Whiplash", ["Neck pain"], status=Status.IN_REVIEW)
    save(reviewer_client, article, body="Rest your neck for a day.")
    save(reviewer_client, article, body="Rest your neck for two days.", summary="A new summary.")
    newer, older = Version.objects.get_for_object(article)

    response = reviewer_client.get(
        f"/admin/conditions/conditionarticle/{article.pk}/history/compare/",
        {"from": older.pk, "to": newer.pk},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<del>a day.</del>" in page or "<del>a</del>" in page
    assert "<ins>two days.</ins>" in page or "<ins>two</ins>" in page
    assert "A new summary." in page
    assert "Unchanged:" in page and "Symptoms" in page[page.index("Unchanged:") :]


def test_comparing_with_a_missing_revision_is_a_clear_message(reviewer_client):
    article = make_condition("Whiplash")

    response = reviewer_client.get(
        f"/admin/conditions/conditionarticle/{article.pk}/history/compare/",
        {"from": "999", "to": "nonsense"},
        follow=True,
    )

    assert "Choose two different revisions to compare." in response.content.decode()


def test_restoring_an_faq_brings_back_its_questions_as_a_new_revision(reviewer_client, reader):
    faq = faq_with_two_questions(reviewer_client)
    first_revision = Version.objects.get_for_object(faq).get()
    edit_live_article(
        reviewer_client,
        faq,
        {
            "items-0-answer": "A rewritten answer.",
            "items-1-DELETE": "on",
            "items-2-question": "A third question?",
            "items-2-answer": "A third answer.",
        },
    )
    assert [i.question for i in faq.items.all()] == [
        "Why does my neck spasm?",
        "A third question?",
    ]

    # A live article's revision is restored into its working copy, then published.
    restore_url = f"/admin/conditions/faqarticle/{faq.pk}/history/{first_revision.pk}/"
    assert reviewer_client.post(restore_url).status_code == 302
    assert "Can anxiety cause it?" not in reader.get("/faqs/neck-spasms/").content.decode()
    copy = Article.objects.get(live_article=faq)
    ready_to_publish(copy)  # signed off by Sam: the publish gate is tested on its own
    publish_url = f"/admin/conditions/faqarticle/{copy.pk}/working-copy/publish/"
    assert reviewer_client.post(publish_url, {"when": "now"}).status_code == 302

    assert [(i.question, i.answer) for i in faq.items.all()] == [
        ("Why does my neck spasm?", "Usually a strain."),
        ("Can anxiety cause it?", "Yes, it can."),
    ]
    assert Version.objects.get_for_object(faq).count() == 3  # the restore is a revision too
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RESTORED_INTO_COPY).count() == 1
    faq.refresh_from_db()
    assert faq.status == Status.PUBLISHED  # restoring never changes whether it is public
    assert "Can anxiety cause it?" in reader.get("/faqs/neck-spasms/").content.decode()


def test_restoring_keeps_the_current_address_and_publication(reviewer_client, reader):
    article = make_condition("Whiplash", status=Status.DRAFT)
    save(reviewer_client, article, body="Old text.")
    old = Version.objects.get_for_object(article).get()
    publish(reviewer_client, article, slug="whiplash-injury", body="New text.")

    restore_url = f"/admin/conditions/conditionarticle/{article.pk}/history/{old.pk}/"
    assert reviewer_client.post(restore_url).status_code == 302  # into its working copy
    copy = Article.objects.get(live_article=article)
    ready_to_publish(copy)  # signed off by Sam: the publish gate is tested on its own
    publish_url = f"/admin/conditions/conditionarticle/{copy.pk}/working-copy/publish/"
    assert reviewer_client.post(publish_url, {"when": "now"}).status_code == 302

    article.refresh_from_db()
    assert (article.slug, article.status, article.body) == (
        "whiplash-injury",
        Status.PUBLISHED,
        "Old text.",
    )
    assert "Old text." in reader.get("/conditions/whiplash-injury/").content.decode()


def test_editor_restoring_a_published_article_only_fills_its_working_copy(
    reviewer_client, editor_client, reader
):
    # Restoring a live article now writes the revision into its working copy (issue 13),
    # which only a reviewer can publish: the live page keeps the reviewed text.
    article = make_condition("Whiplash", status=Status.DRAFT)
    save(reviewer_client, article, body="Unreviewed draft text.")
    draft = Version.objects.get_for_object(article).get()
    publish(reviewer_client, article, body="Reviewed text.")

    restore_url = f"/admin/conditions/conditionarticle/{article.pk}/history/{draft.pk}/"
    form = form_data(reviewer_client.get(restore_url).content.decode(), "conditionarticle_form")
    response = editor_client.post(restore_url, form)

    assert response.status_code == 302
    assert "Reviewed text." in reader.get("/conditions/whiplash/").content.decode()
    article.refresh_from_db()
    assert (article.status, article.body) == (Status.PUBLISHED, "Reviewed text.")
    copy = ConditionArticle.objects.get(live_article=article)
    assert copy.body == "Unreviewed draft text." and copy.status == Status.DRAFT
    publish_url = f"/admin/conditions/conditionarticle/{copy.pk}/working-copy/publish/"
    assert editor_client.post(publish_url, {"when": "now"}).status_code == 403


def test_second_editor_save_is_refused_and_their_text_is_kept(
    editor_client, reviewer_client, editor
):
    editor.first_name, editor.last_name = "Ed", "Writer"
    editor.save()
    article = make_condition("Whiplash", status=Status.DRAFT, body="Original.")
    eds_form = admin_change_form(editor_client, change_url(article))
    ritas_form = admin_change_form(reviewer_client, change_url(article))

    eds_form["body"] = "Ed's improvement."
    assert editor_client.post(change_url(article), eds_form).status_code == 302
    ritas_form["body"] = "Rita's long careful rewrite."
    response = reviewer_client.post(change_url(article), ritas_form)

    page = response.content.decode()
    assert response.status_code == 200
    assert "This article was changed by Ed Writer at" in page
    assert "Rita's long careful rewrite.</textarea>" in page.replace("&#x27;", "'")
    article.refresh_from_db()
    assert article.body == "Ed's improvement."


def test_a_form_opened_before_an_import_is_refused(reviewer_client, tmp_path):
    source = tmp_path / "whiplash.txt"
    source.write_text("Whiplash\nIntro text.\n1. Causes\nA fall.\n")
    call_command("import_articles", str(source), stdout=StringIO())
    article = ConditionArticle.objects.get()
    form = admin_change_form(reviewer_client, change_url(article))
    source.write_text("Whiplash\nNew intro text.\n1. Causes\nA fall.\n")
    call_command("import_articles", str(source), stdout=StringIO())

    form["body"] = "Stale edit."
    response = reviewer_client.post(change_url(article), form)

    assert "an import or a script" in response.content.decode()
    article.refresh_from_db()
    assert article.summary == "New intro text."  # the import's, not the stale form's
    assert article.body == "## Causes\n\nA fall."


def test_renamed_article_redirects_from_every_old_address(reviewer_client, reader):
    # A live article's address is kept by its working copy: it is changed while the article
    # is taken down (unpublished), and redirects once it is back.
    article = make_condition("Whiplash")
    article.unpublish()

    save(reviewer_client, article, slug="whiplash-injury")
    save(reviewer_client, article, slug="whiplash-neck-injury")
    article.refresh_from_db()
    article.publish()

    for old in ["whiplash", "whiplash-injury"]:
        response = reader.get(f"/conditions/{old}/")
        assert response.status_code == 301
        assert response["Location"] == "/conditions/whiplash-neck-injury/"
    assert reader.get("/conditions/whiplash-neck-injury/").status_code == 200


def test_a_draft_that_was_never_published_leaves_no_redirect(reviewer_client):
    article = make_condition("Whiplash", status=Status.DRAFT)

    save(reviewer_client, article, slug="whiplash-injury")

    assert not SlugRedirect.objects.exists()


def test_a_new_article_cannot_take_an_address_that_still_redirects(reviewer_client):
    article = make_condition("Whiplash")
    article.unpublish()
    save(reviewer_client, article, slug="whiplash-injury")
    data = admin_change_form(reviewer_client, "/admin/conditions/conditionarticle/add/")
    data.update(title="Whiplash", slug="whiplash", summary="Another.", body="Text.")

    response = reviewer_client.post("/admin/conditions/conditionarticle/add/", data)

    assert response.status_code == 200
    assert "still redirects" in response.content.decode()
    assert make_condition("Whiplash").slug == "whiplash-2"  # automatic slugs skip it too


def test_an_article_can_take_back_its_own_old_address(reviewer_client, reader):
    article = make_condition("Whiplash")
    article.unpublish()
    save(reviewer_client, article, slug="whiplash-injury")

    save(reviewer_client, article, slug="whiplash")
    article.refresh_from_db()
    article.publish()

    assert reader.get("/conditions/whiplash/").status_code == 200
    assert reader.get("/conditions/whiplash-injury/")["Location"] == "/conditions/whiplash/"


def test_restoring_a_revision_from_before_a_symptom_merge_uses_the_merged_symptom(
    reviewer_client, reviewer
):
    article = make_condition("Whiplash", ["Vertigo", "Neck pain"], status=Status.IN_REVIEW)
    save(reviewer_client, article, body="Old text.")
    old = Version.objects.get_for_object(article).get()
    vertigo, dizziness = Symptom.objects.get(name="Vertigo"), Symptom.objects.get(name="Dizziness")
    merge_symptoms(dizziness, [vertigo], reviewer)
    save(reviewer_client, article, body="New text.")

    restore_url = f"/admin/conditions/conditionarticle/{article.pk}/history/{old.pk}/"
    form = form_data(reviewer_client.get(restore_url).content.decode(), "conditionarticle_form")
    assert reviewer_client.post(restore_url, form).status_code == 302

    article.refresh_from_db()
    assert article.body == "Old text."
    assert sorted(s.name for s in article.symptoms.all()) == ["Dizziness", "Neck pain"]


# Restoring and recovering, with others at work.


def test_a_restore_opened_before_someone_elses_save_is_refused(reviewer_client, superuser_client):
    article = make_condition("Whiplash", status=Status.DRAFT)
    save(reviewer_client, article, body="Old text.")
    old = Version.objects.get_for_object(article).get()
    restore_url = f"/admin/conditions/conditionarticle/{article.pk}/history/{old.pk}/"
    form = form_data(reviewer_client.get(restore_url).content.decode(), "conditionarticle_form")
    save(superuser_client, article, body="Eve's newer text.")

    response = reviewer_client.post(restore_url, form)

    assert response.status_code == 200
    assert "after you opened it" in response.content.decode()
    article.refresh_from_db()
    assert article.body == "Eve's newer text."


def test_restoring_one_article_from_a_revision_it_shares_leaves_the_other_alone(
    reviewer_client, reader
):
    first = make_condition("Whiplash", status=Status.IN_REVIEW, body="Whiplash, reviewed.")
    second = make_condition("Torticollis", status=Status.IN_REVIEW, body="Torticollis, reviewed.")
    ready_to_publish(first), ready_to_publish(second)
    # One list action publishes both: one revision holds them both.
    reviewer_client.post(
        "/admin/conditions/conditionarticle/",
        {"action": "publish_selected", "_selected_action": [first.pk, second.pk]},
    )
    shared = Version.objects.get_for_object(first).get()
    edit_live_article(reviewer_client, second, {"body": "Torticollis, corrected since."})
    edit_live_article(reviewer_client, first, {"body": "Whiplash, rewritten since."})

    restore_url = f"/admin/conditions/conditionarticle/{first.pk}/history/{shared.pk}/"
    assert reviewer_client.post(restore_url).status_code == 302  # into its working copy
    copy = Article.objects.get(live_article=first)
    publish_url = f"/admin/conditions/conditionarticle/{copy.pk}/working-copy/publish/"
    assert reviewer_client.post(publish_url, {"when": "now"}).status_code == 302

    first.refresh_from_db(), second.refresh_from_db()
    assert first.body == "Whiplash, reviewed."
    assert second.body == "Torticollis, corrected since."
    assert "corrected since" in reader.get("/conditions/torticollis/").content.decode()


def test_a_deleted_article_is_recovered_as_a_draft_and_audited(reviewer_client, reader):
    article = make_condition("Whiplash", status=Status.DRAFT)
    publish(reviewer_client, article, body="Reviewed text.")
    assert (
        reviewer_client.post(
            f"/admin/conditions/conditionarticle/{article.pk}/delete/", {"post": "yes"}
        ).status_code
        == 302
    )
    deleted = Version.objects.get_deleted(ConditionArticle).first()
    recover_url = f"/admin/conditions/conditionarticle/recover/{deleted.pk}/"

    form = form_data(reviewer_client.get(recover_url).content.decode(), "conditionarticle_form")
    assert reviewer_client.post(recover_url, form).status_code == 302

    recovered = ConditionArticle.objects.get(slug="whiplash")
    assert (recovered.status, recovered.body) == (Status.DRAFT, "Reviewed text.")
    assert reader.get("/conditions/whiplash/").status_code == 404  # until a reviewer publishes
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditEvent.Action.DELETED, AuditEvent.Action.RECOVERED} <= actions


def test_an_editor_whose_article_was_published_meanwhile_gets_their_text_back(
    editor_client, reviewer_client
):
    article = make_condition("Whiplash", status=Status.IN_REVIEW)
    eds_form = admin_change_form(editor_client, change_url(article))
    publish(reviewer_client, article)

    eds_form["body"] = "Ed's careful correction."
    response = editor_client.post(change_url(article), eds_form)

    page = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 403
    assert "it is changed only in a working copy, which a medical reviewer publishes" in page
    assert "Ed's careful correction." in page
    article.refresh_from_db()
    assert article.body != "Ed's careful correction."
