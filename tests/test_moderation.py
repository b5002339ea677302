"""Moderation: an author submits, a reviewer approves (through the publish gate) or asks for
changes that the author sees; everyone concerned hears by email; reviewers get a digest of
medical reviews falling due."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from conditions.models import Article, AuditEvent, ConditionArticle, ReviewComment
from tests.browser_forms import admin_change_form
from tests.factories import make_condition, make_symptom, ready_to_publish

pytestmark = pytest.mark.django_db

Status = Article.Status
CONDITIONS = "/admin/conditions/conditionarticle/"


def change_url(article) -> str:
    return f"{CONDITIONS}{article.pk}/change/"


def moderate(client, article, decision, comment=""):
    return client.post(
        f"{CONDITIONS}{article.pk}/moderate/", {"decision": decision, "comment": comment}
    )


def submitted_by_ed(editor_client) -> ConditionArticle:
    """A condition Ed wrote and submitted for review through the admin's form."""
    data = admin_change_form(editor_client, f"{CONDITIONS}add/")
    data.update(
        title="Whiplash",
        slug="whiplash",
        summary="A neck injury from a sudden jolt.",
        body="## What it is\n\nA sprain of the neck.",
        symptoms=str(make_symptom("Neck pain").pk),
        urgent_help="- your arms feel weak",
        status=Status.IN_REVIEW,
    )
    assert editor_client.post(f"{CONDITIONS}add/", data).status_code == 302
    return ConditionArticle.objects.get(slug="whiplash")


def test_submitting_for_review_mails_the_reviewers(
    editor_client, reviewer, second_reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        article = submitted_by_ed(editor_client)

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert sorted(mail.to) == ["raj@example.org", "rita@example.org"]
    assert mail.subject == "Review requested: Whiplash"
    assert f"/admin/conditions/conditionarticle/{article.pk}/change/" in mail.body
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SUBMITTED, user__username="ed"
    ).exists()


def test_requested_changes_reach_the_author_on_the_form_the_home_page_and_by_mail(
    editor_client, reviewer_client, mailoutbox, django_capture_on_commit_callbacks
):
    article = submitted_by_ed(editor_client)

    with django_capture_on_commit_callbacks(execute=True):
        response = moderate(
            reviewer_client, article, "request_changes", "Say when to call 999 for arm weakness."
        )

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Status.DRAFT
    review = ReviewComment.objects.get()
    assert (review.author.username, review.reviewer.username) == ("ed", "rita")
    form = editor_client.get(change_url(article)).content.decode()
    assert "Changes requested" in form and "Say when to call 999 for arm weakness." in form
    home = editor_client.get("/admin/").content.decode()
    assert "Changes requested of you" in home and "Say when to call 999" in home
    assert [mail.to for mail in mailoutbox] == [["ed@example.org"]]
    assert "Say when to call 999 for arm weakness." in mailoutbox[0].body
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGES_REQUESTED)
    assert event.user.username == "rita" and "999" in event.detail

    # Ed answers by submitting again: the request is resolved.
    editor_client.post(
        CONDITIONS, {"action": "submit_for_review", "_selected_action": [article.pk]}
    )
    assert "Changes requested of you" not in editor_client.get("/admin/").content.decode()


def test_requesting_changes_needs_a_comment(editor_client, reviewer_client):
    article = submitted_by_ed(editor_client)

    moderate(reviewer_client, article, "request_changes", "  ")

    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW and not ReviewComment.objects.exists()


def test_approving_publishes_through_the_gate_and_mails_the_author(
    editor_client, reviewer_client, second_reviewer, reader, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    article = submitted_by_ed(editor_client)
    ready_to_publish(article, reviewer=second_reviewer)  # Raj signed it off

    with django_capture_on_commit_callbacks(execute=True):
        moderate(reviewer_client, article, "approve")

    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert reader.get("/conditions/whiplash/").status_code == 200
    assert [(mail.subject, mail.to) for mail in mailoutbox] == [
        ("Approved: Whiplash", ["ed@example.org"])
    ]
    event = AuditEvent.objects.get(action=AuditEvent.Action.PUBLISHED)
    assert (event.user.username, event.detail) == ("rita", "Approved after review")


def test_approving_without_a_sign_off_is_refused_and_mails_nobody(
    editor_client, reviewer_client, reader, mailoutbox, django_capture_on_commit_callbacks
):
    article = submitted_by_ed(editor_client)

    with django_capture_on_commit_callbacks(execute=True):
        page = reviewer_client.get(
            moderate(reviewer_client, article, "approve").url
        ).content.decode()

    assert "It has no medical sign-off" in page
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW
    assert reader.get("/conditions/whiplash/").status_code == 404
    assert mailoutbox == []


def test_a_publish_the_gate_rolls_back_sends_no_mail(
    editor_client, reviewer_client, mailoutbox, django_capture_on_commit_callbacks
):
    article = submitted_by_ed(editor_client)
    data = admin_change_form(reviewer_client, change_url(article))
    data.update(status=Status.PUBLISHED)

    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(change_url(article), data)

    assert response.status_code == 200  # refused: no sign-off
    assert mailoutbox == []
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PUBLISHED).exists()


def test_a_mail_server_that_fails_never_loses_the_save(
    editor_client, reviewer, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    with django_capture_on_commit_callbacks(execute=True):
        article = submitted_by_ed(editor_client)

    assert article.status == Status.IN_REVIEW
    assert "Could not send “Review requested: Whiplash”" in caplog.text


def test_only_reviewers_moderate(editor_client):
    article = make_condition("Whiplash", ["Neck pain"], status=Status.IN_REVIEW)

    assert moderate(editor_client, article, "approve").status_code == 403
    assert moderate(editor_client, article, "request_changes", "No.").status_code == 403
    assert moderate(editor_client, article, "sign_off").status_code == 403
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW


def test_signing_off_is_recorded_and_audited(editor_client, reviewer, reviewer_client):
    article = submitted_by_ed(editor_client)
    ConditionArticle.objects.filter(pk=article.pk).update(reviewed_by="Dr Rita Okafor, MRCGP")

    moderate(reviewer_client, article, "sign_off")

    article.refresh_from_db()
    assert article.signed_off_by == reviewer
    assert article.last_reviewed_on == timezone.localdate()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_SIGNED_OFF).exists()
    form = reviewer_client.get(change_url(article)).content.decode()
    assert "Medical sign-off: current" in form


def test_the_digest_lists_reviews_overdue_and_due_soon_to_reviewers(
    reviewer, second_reviewer, editor, mailoutbox
):
    today = timezone.localdate()
    make_condition("Overdue one", next_review_due=today - timedelta(days=3))
    make_condition("Due soon", next_review_due=today + timedelta(days=10))
    make_condition("Not yet", next_review_due=today + timedelta(days=90))

    output = StringIO()
    call_command("send_review_digest", stdout=output)

    assert "1 overdue, 1 due within 30 days; sent to 2 reviewers." in output.getvalue()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert sorted(mail.to) == ["raj@example.org", "rita@example.org"]  # not Ed
    assert "1 overdue, 1 due within 30 days" in mail.subject
    assert "Overdue one" in mail.body and "Due soon" in mail.body
    assert "Not yet" not in mail.body


def test_the_digest_sends_nothing_when_nothing_is_due(reviewer, mailoutbox):
    make_condition("Not yet", next_review_due=timezone.localdate() + timedelta(days=90))

    call_command("send_review_digest", stdout=StringIO())

    assert mailoutbox == []
