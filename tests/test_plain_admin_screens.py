"""Delete, restore, recover and History say, in an editor's words, what will happen (for
readers too) and who did what; and offer only the buttons the person may use."""

import html
import re

import pytest
import reversion
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from reversion.models import Version

from conditions import working_copies
from conditions.models import Article, PageFeedback, Source
from tests.browser_forms import admin_change_form
from tests.factories import DRAFT, make_condition, make_faq

pytestmark = pytest.mark.django_db

CONDITIONS = "/admin/conditions/conditionarticle/"
FAQS = "/admin/conditions/faqarticle/"
# What Django's own screens said, which no editor recognises.
INTERNALS = ["Article symptom", "Search entr", "this version of the object", "Objects</h2>",
             "has symptom", "Yes, I’m sure", "Press the save button"]  # fmt: skip


def words(response) -> str:
    """The page's main content as text, one space between words."""
    page = response.content.decode()
    content = page.split('id="content"', 1)[1]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content)))


def buttons(response) -> list[str]:
    page = response.content.decode().split('id="content"', 1)[1]
    return re.findall(r'<input type="submit" value="([^"]+)"', page)


def assert_no_internals(response) -> None:
    page = response.content.decode()
    for internal in INTERNALS:
        assert internal not in page, internal


def test_deleting_a_live_article_says_it_disappears_from_the_site(reviewer_client):
    live = make_condition("Whiplash", ["Neck pain"])
    Source.objects.create(article=live, title="NHS: Whiplash", position=1)
    Source.objects.create(article=live, title="NICE: Neck pain", position=2)
    working_copies.start(live, None)

    response = reviewer_client.get(f"{CONDITIONS}{live.pk}/delete/")

    text = words(response)
    assert "Delete “Whiplash”?" in text
    assert (
        "This article is live: it will disappear from the site and its address "
        "(/conditions/whiplash/) will show “page not found”." in text
    )
    assert "its 2 sources" in text and "its working copy" in text
    assert "bring it back as a draft" in text
    assert buttons(response) == ["Yes, delete this article"]
    assert "No, keep it" in text
    assert_no_internals(response)


def test_an_article_with_readers_answers_can_only_be_deleted_by_an_administrator(
    reviewer_client,
):
    live = make_condition("Whiplash", ["Neck pain"])
    PageFeedback.objects.create(article=live, useful=True)

    response = reviewer_client.get(f"{CONDITIONS}{live.pk}/delete/")

    assert "would also delete its reader feedback, which your account may not delete" in words(
        response
    )
    assert buttons(response) == []


def test_deleting_a_draft_says_readers_notice_nothing(reviewer_client):
    faq = make_faq("Neck clicking", [("Is it serious?", "No."), ("Why?", "Gas.")], status=DRAFT)

    response = reviewer_client.get(f"{FAQS}{faq.pk}/delete/")

    text = words(response)
    assert "This article is a draft: readers can't see it, so nothing changes for them." in text
    assert "its 2 questions" in text
    assert_no_internals(response)


def test_an_editor_may_not_delete_and_is_told_who_can(editor_client):
    live = make_condition("Whiplash", ["Neck pain"])

    response = editor_client.get(f"{CONDITIONS}{live.pk}/delete/")

    assert response.status_code == 403
    assert "medical reviewers" in words(response)
    assert Article.objects.filter(pk=live.pk).exists()


def test_deleting_selected_articles_from_the_list_says_what_happens_to_each(reviewer_client):
    live = make_condition("Whiplash", ["Neck pain"])
    draft = make_condition("Torticollis", ["Neck pain"], status=DRAFT)

    response = reviewer_client.post(
        CONDITIONS, {"action": "delete_selected", "_selected_action": [live.pk, draft.pk]}
    )

    text = words(response)
    assert "Delete 2 articles?" in text
    assert "“Whiplash” This article is live: it will disappear from the site" in text
    assert "“Torticollis” This article is a draft: readers can't see it" in text
    assert buttons(response) == ["Yes, delete these articles"]
    assert_no_internals(response)

    reviewer_client.post(
        CONDITIONS,
        {"action": "delete_selected", "_selected_action": [live.pk, draft.pk], "post": "yes"},
    )
    assert not Article.objects.filter(pk__in=[live.pk, draft.pk]).exists()


def saved_through_the_form(client, article, **changes) -> None:
    url = f"/admin/conditions/{article._meta.model_name}/{article.pk}/change/"
    response = client.post(url, {**admin_change_form(client, url), **changes})
    assert response.status_code == 302, response.content.decode()[:3000]


def test_restoring_a_revision_says_what_it_shows_and_what_restoring_does(editor_client):
    draft = make_condition("Whiplash", ["Neck pain"], status=DRAFT)
    saved_through_the_form(editor_client, draft, summary="First summary.")
    saved_through_the_form(editor_client, draft, summary="Second summary.")
    older = Version.objects.get_for_object(draft).order_by("pk").first()

    response = editor_client.get(f"{CONDITIONS}{draft.pk}/history/{older.pk}/")

    text = words(response)
    assert "This form shows “Whiplash” as Ed Writer saved it on" in text
    assert "The article is draft, so readers won't see it until a medical reviewer" in text
    assert buttons(response) == ["Restore this revision", "Restore this revision"]
    assert "Back to the history, restoring nothing" in text
    assert_no_internals(response)


def test_an_editor_recovering_a_deleted_article_sees_what_it_does_and_a_button_to_do_it(
    editor_client, reviewer_client
):
    with reversion.create_revision():
        gone = make_condition("Torticollis", ["Neck pain"])
    reviewer_client.post(f"{CONDITIONS}{gone.pk}/delete/", {"post": "yes"})

    listing = editor_client.get(f"{CONDITIONS}recover/")
    assert "bring it back as a draft" in words(listing)
    assert_no_internals(listing)
    version = Version.objects.get_deleted(type(gone)).get()
    response = editor_client.get(f"{CONDITIONS}recover/{version.pk}/")

    text = words(response)
    assert "Recovering brings it back as a draft" in text
    assert "readers won't see it until a medical reviewer signs it off and publishes it" in text
    assert buttons(response) == ["Recover as a draft", "Recover as a draft"]
    assert "Close" not in text
    assert_no_internals(response)

    data = admin_change_form(editor_client, f"{CONDITIONS}recover/{version.pk}/")
    editor_client.post(f"{CONDITIONS}recover/{version.pk}/", data)
    assert Article.objects.get(title="Torticollis").status == DRAFT


def test_someone_who_may_not_recover_is_told_so_in_words(db):
    from tests.factories import make_staff

    with reversion.create_revision():
        gone = make_condition("Torticollis", ["Neck pain"])
    gone.delete()
    version = Version.objects.get_deleted(type(gone)).get()
    onlooker = make_staff("olly", "Editor", "Olly Looker")
    onlooker.groups.clear()
    client = Client()
    client.force_login(onlooker)

    response = client.get(f"{CONDITIONS}recover/{version.pk}/")

    assert response.status_code == 403
    assert "Your account may not do this. Nothing has been changed." in words(response)


def test_history_says_who_did_what_in_words(editor_client, reviewer_client):
    faq = make_faq("Neck clicking", [("Is it serious?", "No.")], ["Neck pain"], status=DRAFT)
    saved_through_the_form(editor_client, faq, **{"items-0-answer": "Rarely."})
    saved_through_the_form(editor_client, faq, summary="Clicks and cracks.", status="in_review")

    text = words(editor_client.get(f"{FAQS}{faq.pk}/history/"))

    assert "Ed Writer changed the answer to “Is it serious?”" in text
    assert "Ed Writer submitted this article for review and changed the summary" in text


SYMPTOMS = "/admin/conditions/symptom/"


def test_deleting_a_symptom_says_what_readers_lose_and_which_articles(reviewer_client):
    article = make_condition("Whiplash", ["Achy neck"])
    achy = article.symptoms.get()

    single = reviewer_client.get(f"{SYMPTOMS}{achy.pk}/delete/")
    selected = reviewer_client.post(
        SYMPTOMS, {"action": "delete_selected", "_selected_action": [achy.pk]}
    )

    assert "Delete the symptom “Achy neck”?" in words(single)
    assert "Delete 1 symptom?" in words(selected)
    assert "multiple objects" not in selected.content.decode()
    for response, button in [(single, "Yes, delete this symptom"),
                             (selected, "Yes, delete this symptom")]:  # fmt: skip
        text = words(response)
        assert "will show “page not found”" in text
        assert "Whiplash (published)" in text
        assert buttons(response) == [button]
        assert_no_internals(response)


def test_the_merge_screen_says_what_readers_will_see(reviewer_client):
    make_condition("Whiplash", ["Achy neck", "Neck pain"])
    selected = [symptom.pk for symptom in Article.objects.get().symptoms.all()]

    response = reviewer_client.post(
        SYMPTOMS, {"action": "merge_selected", "_selected_action": selected}
    )

    text = words(response)
    assert "Readers will see one symptom instead of 2" in text
    assert buttons(response) == ["Merge into the symptom to keep"]
    assert "No, keep them as they are" in text


def test_history_costs_the_same_queries_however_many_saves_it_lists(
    editor_client, django_assert_max_num_queries
):
    faq = make_faq("Neck clicking", [("Is it serious?", "No.")], ["Neck pain"], status=DRAFT)
    saved_through_the_form(editor_client, faq, summary="First.")
    saved_through_the_form(editor_client, faq, summary="Second.")
    with CaptureQueriesContext(connection) as two_saves:
        editor_client.get(f"{FAQS}{faq.pk}/history/")
    queries_for_two = len(two_saves)  # now: each request empties the log it reads
    for number in range(8):
        saved_through_the_form(editor_client, faq, summary=f"Summary {number}.")

    with django_assert_max_num_queries(queries_for_two):
        response = editor_client.get(f"{FAQS}{faq.pk}/history/")

    assert words(response).count("Ed Writer changed the summary") == 10
