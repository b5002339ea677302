"""Putting questions, sources and other names in order without script: the position numbers
are on the form, and a new row whose number is left empty goes at the end, not the top."""

import pytest

from conditions.models import Source
from tests.browser_forms import add_inline_rows, admin_change_form
from tests.factories import DRAFT, make_condition, make_faq

pytestmark = pytest.mark.django_db


def test_a_new_source_goes_at_the_end_of_the_list(editor_client):
    article = make_condition("Whiplash", status=DRAFT)
    for number, title in enumerate(["NHS: Whiplash", "NICE: Neck pain"], start=1):
        Source.objects.create(article=article, title=title, position=number)
    url = f"/admin/conditions/conditionarticle/{article.pk}/change/"
    data = admin_change_form(editor_client, url)
    # The new row offers no number (it used to offer 0, which put it first).
    assert data["sources-2-position"] == ""

    add_inline_rows(data, "sources", [{"title": "BMJ: Whiplash injuries"}])
    response = editor_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(article.sources.order_by("position").values_list("title", flat=True)) == [
        "NHS: Whiplash",
        "NICE: Neck pain",
        "BMJ: Whiplash injuries",
    ]


def test_typed_positions_reorder_questions_without_script(editor_client):
    faq = make_faq("Neck clicking", [("First?", "One."), ("Second?", "Two.")], status=DRAFT)
    url = f"/admin/conditions/faqarticle/{faq.pk}/change/"
    data = admin_change_form(editor_client, url)
    data["items-0-position"], data["items-1-position"] = "2", "1"
    add_inline_rows(data, "items", [{"question": "Third?", "answer": "Three."}])

    response = editor_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(faq.items.order_by("position").values_list("question", flat=True)) == [
        "Second?",
        "First?",
        "Third?",
    ]


def test_a_long_faq_lists_each_question_collapsed_to_its_wording(editor_client):
    faq = make_faq("Neck clicking", [("Is clicking serious?", "Usually not.")], status=DRAFT)

    page = editor_client.get(f"/admin/conditions/faqarticle/{faq.pk}/change/").content.decode()

    assert '<details class="faq-question">' in page  # saved questions start closed
    assert "Is clicking serious?</span></summary>" in page
    assert '<details class="faq-question" open>' in page  # the row for a new question is open
