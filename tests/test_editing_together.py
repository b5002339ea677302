"""Editing together, through the test client: who else is editing an article, taking an edit
over, the sign-in check a form makes before posting, and the cookie that tells the next page a
save succeeded (so the text kept in the browser is forgotten). The browser's part is in
test_editing_together_browser.py."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from conditions.admin.editing import SAVED_FORM_COOKIE
from tests.browser_forms import admin_change_form
from tests.factories import DRAFT, make_condition, make_symptom
from tests.live_site import OwnRedis

ADMIN = "/admin/conditions/conditionarticle/"


@pytest.fixture
def own_redis(settings):
    """The cache in a Redis of this test's own, which it may kill."""
    server = OwnRedis()
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "neckinfo.redis_cache.ResilientRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {
                "socket_connect_timeout": settings.REDIS_TIMEOUT_SECONDS,
                "socket_timeout": settings.REDIS_TIMEOUT_SECONDS,
            },
        }
    }
    yield server
    server.stop()


@pytest.fixture
def draft(db):
    return make_condition("Wry neck", ["Neck pain"], status=DRAFT)


def presence(client, article) -> dict:
    response = client.get(f"{ADMIN}{article.pk}/editing/")
    assert response.status_code == 200, response.status_code
    assert response["Cache-Control"] == "no-store, private"
    return response.json()


def test_an_editor_sees_who_else_has_the_article_open(editor_client, reviewer_client, draft):
    assert editor_client.get(f"{ADMIN}{draft.pk}/change/").status_code == 200
    page = reviewer_client.get(f"{ADMIN}{draft.pk}/change/").content.decode()
    assert "Someone else is editing this article" in page
    assert "Ed Writer is editing since" in page

    # Each sees the other, and nobody sees themselves.
    assert [e["name"] for e in presence(editor_client, draft)["others"]] == ["Rita Okafor"]
    assert [e["name"] for e in presence(reviewer_client, draft)["others"]] == ["Ed Writer"]


def test_nobody_else_editing_shows_no_notice(editor_client, draft):
    page = editor_client.get(f"{ADMIN}{draft.pk}/change/").content.decode()
    assert 'id="editing-presence"' in page
    assert "is editing since" not in page
    assert presence(editor_client, draft)["others"] == []


def test_a_save_that_succeeded_ends_the_presence_and_names_the_form_for_the_browser(
    editor_client, reviewer_client, draft
):
    url = f"{ADMIN}{draft.pk}/change/"
    data = admin_change_form(editor_client, url)
    assert [e["name"] for e in presence(reviewer_client, draft)["others"]] == ["Ed Writer"]
    data["summary"] = "Waking with a stiff, twisted neck."
    response = editor_client.post(url, data)
    assert response.status_code == 302
    editor = User.objects.get(username="ed")
    assert response.cookies[SAVED_FORM_COOKIE].value == f"{editor.pk}:{url}"
    assert presence(reviewer_client, draft)["others"] == []


def test_a_refused_save_keeps_the_text_kept_in_the_browser(editor_client, reviewer_client, draft):
    url = f"{ADMIN}{draft.pk}/change/"
    stale = admin_change_form(editor_client, url)
    fresh = admin_change_form(reviewer_client, url)
    fresh["summary"] = "Rita's summary."
    assert reviewer_client.post(url, fresh).status_code == 302

    stale["summary"] = "Ed's summary."
    response = editor_client.post(url, stale)
    assert response.status_code == 200  # the lost-update guard refused it, text on the form
    assert "Ed&#x27;s summary." in response.content.decode()
    assert SAVED_FORM_COOKIE not in response.cookies


def test_a_reviewer_takes_over_an_edit_and_the_editor_s_page_is_told(
    editor_client, reviewer_client, draft
):
    editor_client.get(f"{ADMIN}{draft.pk}/change/")
    reviewer_client.get(f"{ADMIN}{draft.pk}/change/")
    ed = User.objects.get(username="ed")

    response = reviewer_client.post(
        f"{ADMIN}{draft.pk}/editing/take-over/",
        {"user": str(ed.pk)},
        headers={"Accept": "application/json"},
    )
    assert response.json() == {"taken_over": True}
    answer = presence(editor_client, draft)
    assert answer["taken_over"]["by"] == "Rita Okafor"
    assert presence(reviewer_client, draft)["others"] == []
    # Opening the article again, Ed is editing once more.
    editor_client.get(f"{ADMIN}{draft.pk}/change/")
    assert presence(editor_client, draft)["taken_over"] is None


def test_an_editor_cannot_take_over(editor_client, reviewer_client, draft):
    reviewer_client.get(f"{ADMIN}{draft.pk}/change/")
    rita = User.objects.get(username="rita")
    response = editor_client.post(f"{ADMIN}{draft.pk}/editing/take-over/", {"user": str(rita.pk)})
    assert response.status_code == 403
    assert presence(reviewer_client, draft)["taken_over"] is None


def test_the_presence_endpoint_is_for_signed_in_staff_only(reader, draft, django_user_model):
    response = reader.get(f"{ADMIN}{draft.pk}/editing/")
    assert response.status_code == 401
    assert response.json() == {"signed_in": False, "staff": False}
    member = Client()
    member.force_login(django_user_model.objects.create_user("pat", password="x"))
    assert member.get(f"{ADMIN}{draft.pk}/editing/").status_code == 403
    assert member.get(f"{ADMIN}editing/").status_code == 403


def test_presence_of_an_unknown_article_is_a_clean_404(editor_client, draft):
    for object_id in ["999999", "x", "1%20OR%201=1", "9" * 500]:
        assert editor_client.get(f"{ADMIN}{object_id}/editing/").status_code == 404


def test_a_poll_costs_few_queries(editor_client, draft, django_assert_num_queries):
    editor_client.get(f"{ADMIN}{draft.pk}/change/")
    # The session, the user, the article's existence, their own and their groups' permissions:
    # the same at every poll, however many people are editing.
    with django_assert_num_queries(5):
        presence(editor_client, draft)


def test_the_sign_in_check_says_when_the_sign_in_has_expired(editor, draft):
    client = Client()
    client.force_login(editor)
    answer = client.get(f"{ADMIN}editing/")
    assert answer.status_code == 200
    assert answer.json()["signed_in"] is True and answer.json()["csrf_token"]

    client.session.flush()
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()  # as when the session expires on the server
    answer = client.get(f"{ADMIN}editing/")
    assert answer.status_code == 401
    assert answer["Cache-Control"] == "no-store, private"


def test_with_redis_down_the_article_opens_without_the_notice(
    own_redis, editor_client, reviewer_client, draft
):
    editor_client.get(f"{ADMIN}{draft.pk}/change/")
    page = reviewer_client.get(f"{ADMIN}{draft.pk}/change/").content.decode()
    assert "Ed Writer is editing since" in page  # through this test's own Redis

    own_redis.kill()
    response = reviewer_client.get(f"{ADMIN}{draft.pk}/change/")
    assert response.status_code == 200
    assert "is editing since" not in response.content.decode()
    assert presence(reviewer_client, draft)["others"] == []
    # And saving goes on.
    data = admin_change_form(reviewer_client, f"{ADMIN}{draft.pk}/change/")
    data["summary"] = "Saved while Redis was down."
    assert reviewer_client.post(f"{ADMIN}{draft.pk}/change/", data).status_code == 302


def test_someone_whose_page_stopped_asking_is_no_longer_listed(
    editor_client, reviewer_client, draft
):
    editor_client.get(f"{ADMIN}{draft.pk}/change/")
    with time_machine.travel(timezone.now() + timedelta(seconds=45)):
        assert [e["name"] for e in presence(reviewer_client, draft)["others"]] == ["Ed Writer"]
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert presence(reviewer_client, draft)["others"] == []


def test_a_symptom_s_form_keeps_typed_text_too(reviewer_client, reviewer, db):
    symptom = make_symptom("Dizziness")
    url = f"/admin/conditions/symptom/{symptom.pk}/change/"
    page = reviewer_client.get(url).content.decode()
    assert 'id="keep-typing"' in page
    assert "js/admin-keep-typing.js" in page
    data = admin_change_form(reviewer_client, url)
    data["synonyms"] = "vertigo, light-headedness"
    response = reviewer_client.post(url, data)
    assert response.status_code == 302
    assert response.cookies[SAVED_FORM_COOKIE].value == f"{reviewer.pk}:{url}"


def test_a_live_article_s_read_only_page_records_nobody_as_editing(
    editor_client, reviewer_client, db
):
    live = make_condition("Whiplash", ["Neck pain"])
    editor_client.get(f"{ADMIN}{live.pk}/change/")
    page = reviewer_client.get(f"{ADMIN}{live.pk}/change/").content.decode()
    assert 'id="editing-presence"' not in page
    assert presence(reviewer_client, live)["others"] == []
