"""History tells the truth: line endings never count as a change, and saves are told apart
to the second."""

import importlib
import re

import pytest
from django.apps import apps
from reversion.models import Version

from conditions.models import Article, ConditionArticle, FaqItem, Symptom
from tests.browser_forms import admin_change_form
from tests.factories import make_condition, make_faq, make_symptom

IN_REVIEW = Article.Status.IN_REVIEW

pytestmark = pytest.mark.django_db

TEXT_FIELDS = ["summary", "body", "when_to_get_medical_help", "urgent_help", "emergency_help"]


def change_url(article) -> str:
    return f"/admin/conditions/{article._meta.model_name}/{article.pk}/change/"


def history_url(article) -> str:
    return f"/admin/conditions/{article._meta.model_name}/{article.pk}/history/"


def post_as_a_browser(client, article, **changes):
    """Post the change form as a browser does: every textarea's lines end in CRLF."""
    data = admin_change_form(client, change_url(article))
    data.update(changes)
    for field in TEXT_FIELDS:
        if isinstance(data.get(field), str):
            data[field] = data[field].replace("\r\n", "\n").replace("\n", "\r\n")
    response = client.post(change_url(article), data)
    assert response.status_code == 302, response.content.decode()[:3000]


def compare_page(client, article) -> str:
    newer, older = Version.objects.get_for_object(article)[:2]
    response = client.get(f"{history_url(article)}compare/", {"from": older.pk, "to": newer.pk})
    assert response.status_code == 200
    return response.content.decode()


def changed_parts(compare_page: str) -> list[str]:
    return re.findall(r'<tr><th scope="row">([^<]+)</th>', compare_page)


def test_a_summary_only_edit_is_recorded_and_compared_as_a_summary_edit(reviewer_client):
    # In review: saved in place (a live article is changed in a working copy, the same form).
    article = make_condition(
        "Whiplash", ["Neck pain"], status=IN_REVIEW, body="## Causes\n\nA fall.\n\nA crash."
    )
    post_as_a_browser(reviewer_client, article, summary="First summary.")

    post_as_a_browser(reviewer_client, article, summary="Second summary.")

    article.refresh_from_db()
    assert "\r" not in article.body and article.body == "## Causes\n\nA fall.\n\nA crash."
    newest = Version.objects.get_for_object(article).first()
    assert newest.revision.get_comment() == "Changed Summary."
    page = compare_page(reviewer_client, article)
    assert "<del>First" in page and "<ins>Second" in page
    assert changed_parts(page) == ["Summary"]


def test_a_revision_saved_with_crlf_before_the_change_compares_equal_to_the_same_text(
    reviewer_client,
):
    article = make_condition("Whiplash", status=IN_REVIEW, body="## Causes\n\nA fall.\n\nA crash.")
    post_as_a_browser(reviewer_client, article, summary="First summary.")
    old = Version.objects.get_for_object(article).get()
    # As the admin stored it before line endings were normalised: CRLF, escaped in JSON.
    Version.objects.filter(pk=old.pk).update(
        serialized_data=old.serialized_data.replace("\\n", "\\r\\n")
    )

    post_as_a_browser(reviewer_client, article, summary="Second summary.")

    assert changed_parts(compare_page(reviewer_client, article)) == ["Summary"]


def test_an_faq_answer_and_a_symptom_are_stored_with_plain_line_endings(reviewer_client):
    faq = make_faq("Neck questions", [("Why?", "Because.")])
    item = faq.items.get()
    item.answer = "One line.\r\nAnother line.\rA third."
    item.save()
    symptom = make_symptom("Seeing double twice", red_flag_advice="Call 999 if:\r\n\r\n- you faint")

    assert FaqItem.objects.get(pk=item.pk).answer == "One line.\nAnother line.\nA third."
    assert Symptom.objects.get(pk=symptom.pk).red_flag_advice == "Call 999 if:\n\n- you faint"


def test_history_tells_apart_two_saves_in_the_same_minute(reviewer_client):
    article = make_condition("Whiplash", status=IN_REVIEW)
    post_as_a_browser(reviewer_client, article, summary="First.")
    post_as_a_browser(reviewer_client, article, summary="Second.")

    page = reviewer_client.get(history_url(article)).content.decode()

    times = re.findall(r">(\d{1,2} \w+ \d{4}, \d\d:\d\d:\d\d)</a></th>", page)
    assert len(times) == 2


def test_text_stored_before_the_change_gets_plain_line_endings_and_stays_current():
    article = make_condition("Whiplash", body="Old.")
    ConditionArticle.objects.filter(pk=article.pk).update(body="A\r\nB\rC", summary="S\r\nT")
    stored_at = ConditionArticle.objects.get(pk=article.pk).updated_at
    migration = importlib.import_module("conditions.migrations.0011_written_text_line_endings")

    migration.normalise_stored_line_endings(apps, None)

    article = ConditionArticle.objects.get(pk=article.pk)
    assert (article.body, article.summary) == ("A\nB\nC", "S\nT")
    assert article.updated_at == stored_at  # an editor's open form is not made stale
