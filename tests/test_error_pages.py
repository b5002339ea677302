"""The site's own error pages, in its own words: an unknown address while developing (DEBUG,
as `make run` serves), and the admin's "not found", "not allowed" and refused-form pages."""

import pytest
from django.test import Client

from tests.browser_forms import admin_change_form
from tests.factories import DRAFT, make_condition

pytestmark = pytest.mark.django_db

TECHNICAL_PAGE = "Using the URLconf defined in"  # Django's technical 404 lists the patterns


def test_unknown_address_under_debug_shows_the_sites_own_404_page(client, settings):
    settings.DEBUG = True

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "Browse symptoms from A to Z" in page
    assert TECHNICAL_PAGE not in page
    # Developers find Django's page one click away.
    assert 'href="/no-such-page/?debug-404"' in page


def test_a_draft_under_debug_shows_the_sites_own_404_page(client, settings):
    settings.DEBUG = True
    make_condition("Whiplash", status=DRAFT)

    response = client.get("/conditions/whiplash/")

    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()
    assert TECHNICAL_PAGE not in response.content.decode()


def test_developers_get_djangos_technical_404_page_when_they_ask(client, settings):
    settings.DEBUG = True

    assert TECHNICAL_PAGE in client.get("/no-such-page/?debug-404").content.decode()

    settings.TECHNICAL_404 = True
    assert TECHNICAL_PAGE in client.get("/no-such-page/").content.decode()


def test_the_technical_details_are_never_offered_without_debug(client):
    page = client.get("/no-such-page/?debug-404").content.decode()

    assert "Page not found" in page
    assert "debug-404" not in page and TECHNICAL_PAGE not in page


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_admin_address_shows_the_admins_not_found_page(editor_client, settings, debug):
    settings.DEBUG = debug

    response = editor_client.get("/admin/conditions/no-such-thing/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "NeckInfo editors" in page  # the admin's design, with its header
    assert "There is nothing at this address" in page
    assert "Recover deleted articles" in page
    assert TECHNICAL_PAGE not in page


def test_an_editor_refused_a_reviewers_page_is_told_why_in_the_admin(editor_client):
    response = editor_client.get("/admin/conditions/auditevent/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "NeckInfo editors" in page
    assert "Your account may not do this. Nothing has been changed." in page
    assert "medical reviewers" in page
    assert "403 Forbidden" not in page


def test_a_form_with_a_stale_security_token_says_nothing_was_saved_and_how_to_keep_the_text(
    editor,
):
    article = make_condition("Whiplash", status=DRAFT)
    url = f"/admin/conditions/conditionarticle/{article.pk}/change/"
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    data = admin_change_form(browser, url)
    data["csrfmiddlewaretoken"] = "stale" * 8  # as after signing in again in another tab
    data["title"] = "Whiplash after a car accident"

    response = browser.post(url, data)

    assert response.status_code == 403
    page = response.content.decode()
    assert "Your form could not be sent" in page
    assert "Nothing has been saved." in page
    assert "Back" in page and "NeckInfo editors" in page
    # What they wrote, to copy: nothing typed is lost.
    assert ">Whiplash after a car accident</textarea>" in page
    article.refresh_from_db()
    assert article.title == "Whiplash"


def test_a_sign_in_form_with_no_security_token_says_what_to_do(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "ed", "password": "wrong"})

    assert response.status_code == 403
    page = response.content.decode()
    assert "Your form could not be sent" in page and "Reload that page" in page
    assert "available_apps" not in page


def test_a_refused_form_shows_nobody_signed_out_any_text(db):
    article = make_condition("Whiplash", status=DRAFT)
    forged = Client(enforce_csrf_checks=True)  # another site's form: no session goes with it

    response = forged.post(
        f"/admin/conditions/conditionarticle/{article.pk}/change/",
        {"title": "<b>Call this number now</b>", "summary": "Injected words"},
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert "Call this number" not in page and "Injected words" not in page
