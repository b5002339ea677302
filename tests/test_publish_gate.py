"""The publish gate: nothing reaches a reader without an independent medical sign-off of its
exact content, symptoms, a summary and (a condition) care advice, however it is published."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conditions import editorial
from conditions.models import Article, AuditEvent, ConditionArticle
from tests.browser_forms import admin_change_form
from tests.factories import make_condition, make_symptom, ready_to_publish

pytestmark = pytest.mark.django_db

Status = Article.Status
CONDITIONS = "/admin/conditions/conditionarticle/"

NO_SIGN_OFF = "It has no medical sign-off"
VOIDED = "Its medical sign-off no longer holds"
SELF_REVIEWED = "It was signed off by the person who last changed it"
NO_SYMPTOM = "It has no symptoms"
NO_SUMMARY = "It has no summary"
NO_CARE_ADVICE = "It has no care advice"


def change_url(article) -> str:
    return f"{CONDITIONS}{article.pk}/change/"


def written_by_ed(editor_client, **fields) -> ConditionArticle:
    """A condition Ed wrote in the admin and submitted for review."""
    data = admin_change_form(editor_client, f"{CONDITIONS}add/")
    data.update(
        title="Whiplash",
        slug="whiplash",
        summary="A neck injury from a sudden jolt.",
        body="## What it is\n\nA sprain of the neck.",
        status=Status.IN_REVIEW,
        **fields,
    )
    response = editor_client.post(f"{CONDITIONS}add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return ConditionArticle.objects.get(slug="whiplash")


def publish_with_form(client, article, **fields):
    data = admin_change_form(client, change_url(article))
    data.update(status=Status.PUBLISHED, **fields)
    return client.post(change_url(article), data)


def publish_with_action(client, article):
    return client.post(
        CONDITIONS, {"action": "publish_selected", "_selected_action": [article.pk]}, follow=True
    )


def test_the_form_refuses_to_publish_listing_every_missing_item_and_keeps_the_text(
    editor_client, reviewer_client, reader
):
    article = written_by_ed(editor_client)

    response = publish_with_form(
        reviewer_client, article, body="## What it is\n\nMy carefully rewritten paragraph."
    )

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    for missing in (NO_SIGN_OFF, NO_SYMPTOM, NO_CARE_ADVICE):
        assert missing in errors
    page = response.content.decode()
    assert "My carefully rewritten paragraph." in page
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert "rewritten" not in article.body
    assert reader.get("/conditions/whiplash/").status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PUBLISHED).exists()


def test_the_list_action_refuses_listing_every_missing_item(reviewer_client, reader):
    article = make_condition("Whiplash", status=Status.IN_REVIEW, summary="")

    page = publish_with_action(reviewer_client, article).content.decode()

    for missing in (NO_SIGN_OFF, NO_SYMPTOM, NO_SUMMARY, NO_CARE_ADVICE):
        assert missing in page
    assert "“Whiplash” was not published" in page
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert reader.get("/conditions/whiplash/").status_code == 404


def test_scheduling_is_refused_without_a_sign_off(reviewer_client):
    article = make_condition(
        "Whiplash", ["Neck pain"], status=Status.IN_REVIEW, urgent_help="- numb arms"
    )
    local = timezone.localtime(timezone.now() + timedelta(days=2))

    response = publish_with_form(
        reviewer_client,
        article,
        published_at_0=local.strftime("%d/%m/%Y"),
        published_at_1=local.strftime("%H:%M:%S"),
    )

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert NO_SIGN_OFF in errors and NO_SYMPTOM not in errors and NO_CARE_ADVICE not in errors
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW and article.published_at is None


def test_an_independent_sign_off_lets_the_reviewer_publish_in_one_save(
    editor_client, reviewer, reviewer_client, reader
):
    symptom = make_symptom("Neck pain")
    article = written_by_ed(editor_client, symptoms=str(symptom.pk), urgent_help="- numb arms")

    response = publish_with_form(
        reviewer_client,
        article,
        reviewed_by="Dr Rita Okafor, MRCGP",
        last_reviewed_on=timezone.localdate().strftime("%d/%m/%Y"),
    )

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert article.signed_off_by == reviewer
    page = reader.get("/conditions/whiplash/").content.decode()
    assert "Medically reviewed by Dr Rita Okafor, MRCGP" in page
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_SIGNED_OFF).exists()


def test_a_later_edit_voids_the_sign_off(editor_client, reviewer_client):
    article = ready_to_publish(written_by_ed(editor_client))
    data = admin_change_form(editor_client, change_url(article))
    data.update(body="## What it is\n\nA sprain of the neck, and something new.")
    assert editor_client.post(change_url(article), data).status_code == 302

    page = publish_with_action(reviewer_client, article).content.decode()

    assert VOIDED in page
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    form = reviewer_client.get(change_url(article)).content.decode()
    assert "Medical sign-off: <strong>void</strong>" in form


def test_a_change_of_symptoms_voids_the_sign_off(editor_client, reviewer):
    article = ready_to_publish(written_by_ed(editor_client))
    article.symptoms.add(make_symptom("Dizziness"))

    assert VOIDED in " ".join(editorial.publish_refusals(article, reviewer))


def test_the_page_does_not_show_a_voided_sign_off(reviewer_client, reader):
    article = ready_to_publish(make_condition("Whiplash", ["Neck pain"]))
    assert "Medically reviewed by" in reader.get("/conditions/whiplash/").content.decode()
    # A live article's form is read-only (changes go through a working copy, which the gate
    # checks), so the content changes as a script or a data fix would change it.
    article.summary = "A new summary nobody has reviewed."
    article.save()

    page = reader.get("/conditions/whiplash/").content.decode()

    assert "This page has not been medically reviewed yet" in page
    assert "Medically reviewed by" not in page
    assert '"reviewedBy"' not in page


def test_a_reviewer_cannot_sign_off_their_own_changes(
    reviewer, reviewer_client, second_reviewer_client
):
    article = make_condition(
        "Whiplash", ["Neck pain"], status=Status.IN_REVIEW, urgent_help="- numb arms"
    )
    data = admin_change_form(reviewer_client, change_url(article))
    data.update(
        body="## What it is\n\nRita's own rewrite.",
        reviewed_by="Dr Rita Okafor, MRCGP",
        last_reviewed_on=timezone.localdate().strftime("%d/%m/%Y"),
    )
    assert reviewer_client.post(change_url(article), data).status_code == 302

    page = publish_with_action(reviewer_client, article).content.decode()

    assert SELF_REVIEWED in page
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW and article.content_changed_by == reviewer

    # Raj reviews it independently; now Rita may publish.
    moderate = f"{CONDITIONS}{article.pk}/moderate/"
    assert second_reviewer_client.post(moderate, {"decision": "sign_off"}).status_code == 302
    publish_with_action(reviewer_client, article)
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED


def test_self_review_is_allowed_on_a_one_person_site(reviewer_client, settings):
    settings.ALLOW_SELF_REVIEW = True
    article = make_condition(
        "Whiplash", ["Neck pain"], status=Status.IN_REVIEW, urgent_help="- numb arms"
    )
    data = admin_change_form(reviewer_client, change_url(article))
    data.update(
        body="## What it is\n\nRita's own rewrite.",
        reviewed_by="Dr Rita Okafor, MRCGP",
        last_reviewed_on=timezone.localdate().strftime("%d/%m/%Y"),
        status=Status.PUBLISHED,
    )

    assert reviewer_client.post(change_url(article), data).status_code == 302
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED


def test_publish_refusals_says_who_may_publish(editor, reviewer):
    article = ready_to_publish(make_condition("Whiplash", status=Status.IN_REVIEW))

    assert editorial.publish_refusals(article, reviewer) == []
    assert editorial.publish_refusals(article, editor) == [
        "Only a medical reviewer can publish it."
    ]


def test_published_sample_content_never_signed_off_keeps_showing(reader):
    make_condition("Whiplash", ["Neck pain"])  # as `import_articles --publish` leaves it

    page = reader.get("/conditions/whiplash/").content.decode()

    assert "This page has not been medically reviewed yet" in page


def test_scheduling_a_voided_sign_off_is_refused(editor_client, reviewer_client):
    article = ready_to_publish(written_by_ed(editor_client))
    data = admin_change_form(editor_client, change_url(article))
    data.update(summary="Ed's summary, changed after the sign-off.")
    assert editor_client.post(change_url(article), data).status_code == 302
    local = timezone.localtime(timezone.now() + timedelta(days=2))

    response = publish_with_form(
        reviewer_client,
        article,
        published_at_0=local.strftime("%d/%m/%Y"),
        published_at_1=local.strftime("%H:%M:%S"),
    )

    assert response.status_code == 200
    assert VOIDED in " ".join(response.context["adminform"].form.non_field_errors())
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW and article.published_at is None


def test_the_form_refuses_a_reviewer_publishing_their_own_changes(reviewer_client):
    article = ready_to_publish(make_condition("Whiplash", status=Status.IN_REVIEW))

    response = publish_with_form(
        reviewer_client,
        article,
        body="## What it is\n\nRita's own rewrite.",
        reviewed_by="Dr Rita Okafor, MRCGP",
        last_reviewed_on=(timezone.localdate() - timedelta(days=1)).strftime("%d/%m/%Y"),
    )

    assert response.status_code == 200
    assert SELF_REVIEWED in " ".join(response.context["adminform"].form.non_field_errors())
    assert "Rita&#x27;s own rewrite." in response.content.decode()
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW and "Rita" not in article.body


def test_new_content_for_a_scheduled_article_needs_a_new_sign_off(reviewer_client, reader):
    later = timezone.now() + timedelta(days=2)
    article = ready_to_publish(
        make_condition("Whiplash", status=Status.IN_REVIEW, published_at=later)
    )
    Article.objects.filter(pk=article.pk).update(status=Status.PUBLISHED)  # scheduled as setup
    # A scheduled article is changed in its working copy, as a live one is.
    start = reviewer_client.post(f"{CONDITIONS}{article.pk}/working-copy/start/")
    assert start.status_code == 302
    copy = Article.objects.get(live_article=article)
    data = admin_change_form(reviewer_client, change_url(copy))
    data.update(body="## What it is\n\nUnreviewed words for the future page.")
    assert reviewer_client.post(change_url(copy), data).status_code == 302

    response = reviewer_client.post(
        f"{CONDITIONS}{copy.pk}/working-copy/publish/", {"when": "now"}, follow=True
    )

    assert VOIDED in response.content.decode()
    article.refresh_from_db()
    assert "Unreviewed" not in article.body
