"""Roles, review states, scheduling, preview and medical review: what editors and reviewers do."""

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.test.signals import template_rendered
from django.utils import timezone

from conditions.admin.articles import ConditionArticleAdmin
from conditions.models import Article, AuditEvent, ConditionArticle, FaqArticle, Source
from tests.browser_forms import admin_change_form, edit_live_article
from tests.factories import make_condition, make_faq, make_symptom, ready_to_publish

pytestmark = pytest.mark.django_db

Status = Article.Status
CONDITIONS = "/admin/conditions/conditionarticle/"


def change_url(article) -> str:
    return f"/admin/conditions/{article._meta.model_name}/{article.pk}/change/"


def test_roles_are_created_with_the_right_permissions():
    editor = set(Group.objects.get(name="Editor").permissions.values_list("codename", flat=True))
    reviewer = set(
        Group.objects.get(name="Medical reviewer").permissions.values_list("codename", flat=True)
    )

    assert {"add_conditionarticle", "change_faqarticle", "add_symptom"} <= editor
    assert "publish_article" not in editor and "sign_off_review" not in editor
    assert editor < reviewer
    assert {"publish_article", "sign_off_review", "delete_symptom"} <= reviewer


def test_editor_writes_a_draft_and_submits_it_for_review(editor_client, reader):
    data = admin_change_form(editor_client, f"{CONDITIONS}add/")
    data.update(title="Whiplash", slug="whiplash", summary="A neck injury.", body="Text.")

    assert editor_client.post(f"{CONDITIONS}add/", data).status_code == 302
    article = ConditionArticle.objects.get(slug="whiplash")
    assert article.status == Status.DRAFT

    data = admin_change_form(editor_client, change_url(article))
    data["status"] = Status.IN_REVIEW
    assert editor_client.post(change_url(article), data).status_code == 302

    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert reader.get("/conditions/whiplash/").status_code == 404
    event = AuditEvent.objects.get(action=AuditEvent.Action.SUBMITTED)
    assert (event.user.username, event.subject) == ("ed", "Whiplash")


def test_editor_is_not_offered_publishing(editor_client):
    article = make_condition("Whiplash", status=Status.DRAFT)

    page = editor_client.get(change_url(article)).content.decode()
    changelist = editor_client.get(CONDITIONS).content.decode()

    assert 'value="published"' not in page
    assert "publish_selected" not in changelist
    assert "submit_for_review" in changelist


def test_editor_posting_a_publish_status_directly_is_refused(editor_client, reader):
    article = make_condition("Whiplash", status=Status.IN_REVIEW)
    data = admin_change_form(editor_client, change_url(article))
    data["status"] = Status.PUBLISHED

    response = editor_client.post(change_url(article), data)

    assert response.status_code == 200
    assert "Only medical reviewers can publish" in response.content.decode()
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert reader.get("/conditions/whiplash/").status_code == 404


def test_editor_posting_the_publish_action_directly_is_refused(editor_client):
    article = make_condition("Whiplash", status=Status.IN_REVIEW)

    editor_client.post(CONDITIONS, {"action": "publish_selected", "_selected_action": [article.pk]})

    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert not AuditEvent.objects.exists()


def test_editor_cannot_unpublish_or_edit_a_published_article(editor_client, reader):
    article = make_condition("Whiplash")
    data = admin_change_form(editor_client, change_url(article))  # view-only for Ed
    data.update(status=Status.UNPUBLISHED, body="Unreviewed text.")

    response = editor_client.post(change_url(article), data)
    editor_client.post(
        CONDITIONS, {"action": "unpublish_selected", "_selected_action": [article.pk]}
    )

    assert response.status_code == 403
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert "Unreviewed text." not in reader.get("/conditions/whiplash/").content.decode()


def test_reviewer_publishes_and_unpublishes_and_it_is_audited(reviewer_client, reader):
    article = ready_to_publish(make_condition("Whiplash", status=Status.IN_REVIEW))

    reviewer_client.post(
        CONDITIONS, {"action": "publish_selected", "_selected_action": [article.pk]}
    )
    assert reader.get("/conditions/whiplash/").status_code == 200

    reviewer_client.post(
        CONDITIONS, {"action": "unpublish_selected", "_selected_action": [article.pk]}
    )
    assert reader.get("/conditions/whiplash/").status_code == 404

    article.refresh_from_db()
    assert article.status == Status.UNPUBLISHED
    actions = list(
        AuditEvent.objects.order_by("created_at", "id").values_list("action", "user__username")
    )
    assert actions == [("published", "rita"), ("unpublished", "rita")]
    audit_page = reviewer_client.get("/admin/conditions/auditevent/").content.decode()
    assert "Whiplash" in audit_page and "Unpublished" in audit_page


def test_awaiting_review_is_filterable_and_counted_on_the_admin_home(reviewer_client):
    make_condition("Waiting one", status=Status.IN_REVIEW)
    make_faq("Waiting two", [("Why?", "Because.")], status=Status.IN_REVIEW)
    make_condition("A draft", status=Status.DRAFT)

    home = reviewer_client.get("/admin/").content.decode()
    waiting = reviewer_client.get(f"{CONDITIONS}?status__exact=in_review").content.decode()

    assert "<strong>2</strong> articles awaiting review" in home
    assert "Waiting one" in waiting and "A draft" not in waiting


def test_scheduled_article_appears_at_its_publish_time_without_a_worker(reviewer_client, reader):
    article = ready_to_publish(make_condition("Whiplash", status=Status.IN_REVIEW))
    publish_time = timezone.now().replace(microsecond=0) + timedelta(days=2)
    local = timezone.localtime(publish_time)
    data = admin_change_form(reviewer_client, change_url(article))
    data.update(
        status=Status.PUBLISHED,
        published_at_0=local.strftime("%d/%m/%Y"),
        published_at_1=local.strftime("%H:%M:%S"),
    )

    assert reviewer_client.post(change_url(article), data).status_code == 302

    assert reader.get("/conditions/whiplash/").status_code == 404
    assert "Whiplash" not in reader.get("/conditions/").content.decode()
    listing = reviewer_client.get(CONDITIONS).content.decode()
    assert f"Scheduled for {local.day} {local:%B %Y, %H:%M}" in listing
    assert AuditEvent.objects.get(action=AuditEvent.Action.SCHEDULED)  # and its save
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SAVED).count() == 1

    with time_machine.travel(publish_time - timedelta(seconds=1)):
        assert reader.get("/conditions/whiplash/").status_code == 404
    with time_machine.travel(publish_time + timedelta(seconds=1)):
        assert reader.get("/conditions/whiplash/").status_code == 200
        assert "Whiplash" in reader.get("/conditions/").content.decode()


def test_preview_shows_unsaved_edits_of_a_published_article(reviewer_client, reader):
    article = make_condition("Whiplash", body="The live text.")
    # A live article is edited in its working copy: Preview shows the copy's unsaved edits.
    reviewer_client.post(f"{CONDITIONS}{article.pk}/working-copy/start/")
    copy = ConditionArticle.objects.get(live_article=article)
    data = admin_change_form(reviewer_client, change_url(copy))
    data.update(body="## New section\n\nThe **edited** text.", _preview="Preview")

    response = reviewer_client.post(change_url(copy), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Preview — not published." in page
    assert "The <strong>edited</strong> text." in page
    assert '<h2 id="new-section">New section</h2>' in page
    article.refresh_from_db()
    assert article.body == "The live text."
    assert ConditionArticle.objects.get(pk=copy.pk).body == "The live text."
    assert "The live text." in reader.get("/conditions/whiplash/").content.decode()


def test_a_working_copys_preview_does_not_list_its_own_live_page_as_related(reviewer_client):
    article = make_condition("Whiplash", ["Neck pain", "Headache"])
    make_condition("Tension headache", ["Headache"])
    reviewer_client.post(f"{CONDITIONS}{article.pk}/working-copy/start/")
    copy = ConditionArticle.objects.get(live_article=article)
    data = admin_change_form(reviewer_client, change_url(copy))
    data.update(_preview="Preview")

    page = reviewer_client.post(change_url(copy), data).content.decode()

    related = page[page.index("Related articles") :]
    assert "Tension headache" in related
    assert "Whiplash" not in related  # the page being previewed, not a related one


def test_preview_of_a_new_faq_shows_its_unsaved_questions(editor_client):
    data = admin_change_form(editor_client, "/admin/conditions/faqarticle/add/")
    data.update(
        {
            "title": "Neck spasms",
            "slug": "neck-spasms",
            "summary": "Questions.",
            "items-0-question": "Why does my neck spasm?",
            "items-0-answer": "Usually a *strain*.",
            "_preview": "Preview",
        }
    )

    response = editor_client.post("/admin/conditions/faqarticle/add/", data)

    page = response.content.decode()
    assert "Preview — not published." in page
    assert "Why does my neck spasm?" in page and "Usually a <em>strain</em>." in page
    assert not FaqArticle.objects.exists()


def test_preview_is_only_for_staff(reader):
    article = make_condition("Whiplash")

    response = reader.post(change_url(article), {"_preview": "Preview", "body": "x"})

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_reviewer_signs_off_a_review_due_again_in_three_years(reviewer_client, reader):
    article = make_condition("Whiplash")

    # In the live article's working copy, then published.
    edit_live_article(
        reviewer_client,
        article,
        {"reviewed_by": "Dr Asha Patel, MRCGP", "last_reviewed_on": "10/03/2026"},
    )

    article.refresh_from_db()
    assert article.next_review_due == date(2029, 3, 10)
    page = reader.get("/conditions/whiplash/").content.decode()
    assert "Medically reviewed by Dr Asha Patel, MRCGP on" in page
    assert "10 March 2026" in page and "Next review due March 2029" in page
    signed_off = AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_SIGNED_OFF)
    assert signed_off.get().detail == "Reviewed by Dr Asha Patel, MRCGP on 10 March 2026"


def test_readers_are_told_when_a_page_has_not_been_medically_reviewed_yet(reader):
    make_condition("Whiplash")

    page = reader.get("/conditions/whiplash/").content.decode()

    assert "This page has not been medically reviewed yet." in page
    assert "Medically reviewed by" not in page
    assert "Not medically reviewed yet." in page  # the printed handout says so too


def test_readers_get_a_calm_notice_when_a_pages_review_is_overdue(reader):
    today = timezone.localdate()
    make_condition(
        "Whiplash",
        reviewed_by="Dr Asha Patel, MRCGP",
        last_reviewed_on=today.replace(year=today.year - 4),
        next_review_due=today.replace(year=today.year - 1),
    )

    page = reader.get("/conditions/whiplash/").content.decode()

    due = today.replace(year=today.year - 1).strftime("%B %Y")
    assert f"This page was due for its regular medical review in {due}." in page
    assert 'call <a href="tel:111">111</a>' in page and "Next review due" not in page
    assert "Medically reviewed by Dr Asha Patel, MRCGP on" in page


def test_editor_cannot_sign_off_a_review(editor_client):
    article = make_condition("Whiplash", status=Status.DRAFT)
    data = admin_change_form(editor_client, change_url(article))
    data.update(reviewed_by="Ed, not a doctor", last_reviewed_on="10/03/2026")

    assert editor_client.post(change_url(article), data).status_code == 302

    article.refresh_from_db()
    assert article.reviewed_by == "" and article.last_reviewed_on is None


def test_review_filters_and_admin_home_show_overdue_and_due_soon(reviewer_client):
    today = timezone.localdate()
    make_condition("Overdue", last_reviewed_on=today.replace(year=today.year - 4),
                   next_review_due=today - timedelta(days=1))  # fmt: skip
    make_condition("Due soon", last_reviewed_on=today.replace(year=today.year - 3),
                   next_review_due=today + timedelta(days=10))  # fmt: skip
    make_condition("Fine", last_reviewed_on=today, next_review_due=today + timedelta(days=900))

    overdue = reviewer_client.get(f"{CONDITIONS}?review=overdue").content.decode()
    due_soon = reviewer_client.get(f"{CONDITIONS}?review=due_30").content.decode()
    home = reviewer_client.get("/admin/").content.decode()

    assert "Overdue" in overdue and "Due soon" not in overdue and ">Fine<" not in overdue
    assert "Due soon" in due_soon and ">Overdue<" not in due_soon
    assert "<strong>1</strong> medical review overdue" in home


def test_sources_are_listed_in_order_at_the_end_of_the_page(reader):
    article = make_condition("Whiplash")
    Source.objects.create(article=article, title="Second source", position=2)
    Source.objects.create(
        article=article,
        title="Whiplash: overview",
        publisher="NHS",
        url="https://www.nhs.uk/conditions/whiplash/",
        accessed_on=date(2026, 1, 5),
        position=1,
    )

    page = reader.get("/conditions/whiplash/").content.decode()

    sources = page[page.index('id="sources-title"') :]
    assert sources.index("Whiplash: overview") < sources.index("Second source")
    assert '<a href="https://www.nhs.uk/conditions/whiplash/">Whiplash: overview</a>. NHS.' in page
    assert "Accessed 5 January 2026." in page


def test_reading_grade_is_a_sortable_column_and_the_form_flags_hard_sentences(reviewer_client):
    make_condition("Easy", body="Rest your neck. Use a warm pack. It helps.")
    hard = make_condition(
        "Hard",
        body="## Causes\n\nDegenerative intervertebral discopathy with osteophytic "
        "encroachment upon neuroforaminal apertures precipitates radiculopathic "
        "symptomatology necessitating multidisciplinary evaluation.",
    )

    # Sorted by the reading grade column (the admin numbers its columns from 1).
    column = ConditionArticleAdmin.list_display.index("reading_grade_column") + 1
    listing = reviewer_client.get(f"{CONDITIONS}?o={column}").content.decode()
    form = reviewer_client.get(change_url(hard)).content.decode()

    assert listing.index(">Easy<") < listing.index(">Hard<")
    assert hard.reading_grade > 12
    assert "harder than the grade-8 target" in form
    assert "Hardest sentences" in form and "Degenerative intervertebral" in form


@pytest.mark.django_db(transaction=True)  # as in production: no transaction left open
def test_preview_renders_outside_any_transaction_holding_no_write_lock(reviewer_client):
    """On SQLite an open transaction holds the whole database's write lock: a slow Preview
    inside one used to make another editor's save fail with "database is locked"."""
    article = make_condition("Whiplash", status=Status.IN_REVIEW)
    data = admin_change_form(reviewer_client, change_url(article))
    data.update(body="## Causes\n\nA new paragraph.", _preview="Preview")
    in_transaction_while_rendering = []

    def rendered(sender, template, context, **kwargs):
        in_transaction_while_rendering.append(connection.in_atomic_block)

    template_rendered.connect(rendered)
    try:
        response = reviewer_client.post(change_url(article), data)
    finally:
        template_rendered.disconnect(rendered)

    assert response.status_code == 200 and "A new paragraph." in response.content.decode()
    assert in_transaction_while_rendering and not any(in_transaction_while_rendering)


def test_creating_and_saving_a_draft_are_on_the_record(editor_client, editor):
    add = "/admin/conditions/conditionarticle/add/"
    data = admin_change_form(editor_client, add)
    data.update(
        title="Whiplash",
        summary="A neck injury.",
        body="## Causes\n\nA fall.",
        symptoms=[str(make_symptom("Neck pain").pk)],
    )
    assert editor_client.post(add, data).status_code == 302
    article = ConditionArticle.objects.get()
    data = admin_change_form(editor_client, change_url(article))
    data["body"] = "## Causes\n\nA fall or a car crash."
    assert editor_client.post(change_url(article), data).status_code == 302

    events = AuditEvent.objects.order_by("created_at", "id")
    assert [(e.action, e.user, e.article_id) for e in events] == [
        (AuditEvent.Action.CREATED, editor, article.pk),
        (AuditEvent.Action.SAVED, editor, article.pk),
    ]
