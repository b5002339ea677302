"""Preview links: a draft or working copy a clinician without an account can read, until the
link expires or is revoked; never cached, never indexed, never another article."""

import json
import shutil
import subprocess
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from conditions import share_links
from conditions.models import Article, AuditEvent, ShareLink
from tests.browser import INSTALL_NODE_TOOLS, NODE_MODULES
from tests.browser_forms import admin_change_form
from tests.factories import DRAFT, make_condition, make_faq

ADMIN = "/admin/conditions/conditionarticle/"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture
def draft(db):
    return make_condition(
        "Wry neck", ["Neck pain"], status=DRAFT, body="## Causes\n\nSleeping awkwardly."
    )


def make_link(client, article, days="7") -> ShareLink:
    model = article._meta.model_name
    response = client.post(f"/admin/conditions/{model}/{article.pk}/preview-links/", {"days": days})
    assert response.status_code == 302, response.status_code
    return ShareLink.objects.filter(article=article).latest("id")


def test_an_editor_shares_a_draft_and_a_reader_without_an_account_reads_it(
    editor_client, reader, draft
):
    link = make_link(editor_client, draft)
    assert link.created_by.username == "ed"
    assert link.expires_at - link.created_at == timedelta(days=7)  # the default

    page = editor_client.get(f"{ADMIN}{draft.pk}/change/").content.decode()
    assert "Preview links" in page
    assert "Ed Writer" in page
    assert share_links.address(link) in page
    assert f"{ADMIN}{draft.pk}/preview-links/{link.pk}/revoke/" in page

    response = reader.get(share_links.address(link))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Wry neck" in text and "Sleeping awkwardly." in text
    assert "Preview — not published." in text
    assert response["Cache-Control"] == "no-store, private"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "X-Cache" not in response  # the page cache never held it
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SHARE_LINK_CREATED).count() == 1
    # The draft is still not public: not at its address, in search or in the sitemap.
    assert reader.get(draft.get_absolute_url()).status_code == 404
    assert "Wry neck" not in reader.get("/search/?q=wry+neck").content.decode()
    sitemap = reader.get("/sitemap-conditions.xml").content.decode()
    assert "wry-neck" not in sitemap and "/preview/" not in sitemap


def test_a_link_shows_the_draft_as_it_is_now(editor_client, reader, draft):
    link = make_link(editor_client, draft)
    reader.get(share_links.address(link))
    data = admin_change_form(editor_client, f"{ADMIN}{draft.pk}/change/")
    data["body"] = "## Causes\n\nA draught on the neck."
    assert editor_client.post(f"{ADMIN}{draft.pk}/change/", data).status_code == 302

    text = reader.get(share_links.address(link)).content.decode()
    assert "A draught on the neck." in text
    assert "Sleeping awkwardly." not in text


def test_a_revoked_link_stops_working(editor_client, reviewer_client, reader, draft):
    link = make_link(editor_client, draft)
    response = reviewer_client.post(f"{ADMIN}{draft.pk}/preview-links/{link.pk}/revoke/")
    assert response.status_code == 302

    response = reader.get(share_links.address(link))
    assert response.status_code == 410
    text = response.content.decode()
    assert "This preview link no longer works" in text
    assert "withdrawn" in text
    assert "Wry neck" not in text
    assert response["Cache-Control"] == "no-store, private"
    link.refresh_from_db()
    assert link.revoked_by.username == "rita"
    page = editor_client.get(f"{ADMIN}{draft.pk}/change/").content.decode()
    assert "revoked by Rita Okafor" in page


def test_a_link_stops_working_when_it_expires(editor_client, reader, draft):
    link = make_link(editor_client, draft, days="1")
    address = share_links.address(link)
    with time_machine.travel(timezone.now() + timedelta(hours=23)):
        assert reader.get(address).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        response = reader.get(address)
    assert response.status_code == 410
    assert "It has expired." in response.content.decode()


def test_a_published_article_is_not_shared_and_a_published_draft_s_link_leads_to_its_page(
    editor_client, reviewer_client, reader, draft
):
    live = make_condition("Whiplash", ["Neck pain"])
    response = editor_client.post(f"{ADMIN}{live.pk}/preview-links/", {"days": "7"})
    assert response.status_code == 404
    assert not ShareLink.objects.filter(article=live).exists()

    link = make_link(editor_client, draft)
    Article.objects.filter(pk=draft.pk).update(status=Article.Status.PUBLISHED)
    Article.objects.filter(pk=draft.pk).update(published_at=timezone.now())
    response = reader.get(share_links.address(link))
    assert response.status_code == 410
    assert draft.get_absolute_url() in response.content.decode()


def test_a_working_copy_is_shared_and_the_live_page_stays_as_it_was(editor_client, reader):
    live = make_condition("Whiplash", ["Neck pain"], body="## Causes\n\nA jolt.")
    editor_client.post(f"{ADMIN}{live.pk}/working-copy/start/")
    copy = Article.objects.get(live_article=live).specific()
    data = admin_change_form(editor_client, f"{ADMIN}{copy.pk}/change/")
    data["body"] = "## Causes\n\nA sudden jolt, as in a car crash."
    assert editor_client.post(f"{ADMIN}{copy.pk}/change/", data).status_code == 302

    link = make_link(editor_client, copy)
    assert "car crash" in reader.get(share_links.address(link)).content.decode()
    assert "car crash" not in reader.get(live.get_absolute_url()).content.decode()

    # Discarded (or published), the copy is gone, and its link says so.
    assert editor_client.post(f"{ADMIN}{copy.pk}/working-copy/discard/").status_code == 302
    response = reader.get(share_links.address(link))
    assert response.status_code == 410
    assert "published or set aside" in response.content.decode()
    assert "car crash" not in response.content.decode()


def test_a_link_never_shows_another_article(editor_client, reader, draft):
    other = make_faq("Neck pain at night", [("Why at night?", "Your pillow.")], status=DRAFT)
    link = make_link(editor_client, draft)
    other_link = make_link(editor_client, other)
    assert "Your pillow." in reader.get(share_links.address(other_link)).content.decode()
    # One link's signature with another link's id; the id signed for another purpose.
    _, signature = share_links.token_for(link).split(":")
    forged = [
        f"{other_link.pk}:{signature}",
        signing.Signer().sign(str(other_link.pk)),
        signing.Signer(salt="something.else").sign(str(other_link.pk)),
        signing.dumps(other_link.pk, salt=share_links.SALT),
    ]
    for token in forged:
        response = reader.get(f"/preview/{token}/")
        assert response.status_code == 404, token
        assert "Your pillow." not in response.content.decode()
        assert "This preview link doesn't work" in response.content.decode()


HOSTILE_TOKENS = [
    "x",
    "x" * 10_000,
    "1:" + "A" * 43,
    "Mw:1xaDNA:" + "A" * 43,
    ":" * 300,
    "' OR 1=1 --",
    "%00",
    "..%2F..%2Fadmin",
    "1:" + "é" * 43,
    "1" * 40 + ":" + "A" * 43,
]


@pytest.mark.parametrize("token", HOSTILE_TOKENS)
def test_hostile_tokens_get_a_clean_404_without_a_database_query(
    reader, draft, token, django_assert_max_num_queries
):
    reader.get("/")  # the page cache's content version, read once
    with django_assert_max_num_queries(0):
        response = reader.get(f"/preview/{token}/")
    # A NUL in the address is refused before any view (neckinfo.malformed_requests).
    assert response.status_code == (400 if "%00" in token else 404)
    assert "Wry neck" not in response.content.decode()


def test_only_staff_make_and_revoke_links(reader, editor_client, draft):
    link = make_link(editor_client, draft)
    response = reader.post(f"{ADMIN}{draft.pk}/preview-links/", {"days": "7"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = reader.post(f"{ADMIN}{draft.pk}/preview-links/{link.pk}/revoke/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    link.refresh_from_db()
    assert link.revoked_at is None
    assert ShareLink.objects.count() == 1
    # A length the form doesn't offer is refused.
    response = editor_client.post(f"{ADMIN}{draft.pk}/preview-links/", {"days": "3650"})
    assert response.status_code == 302
    assert ShareLink.objects.count() == 1


def test_the_preview_on_a_phone_and_a_desktop_shows_the_unsaved_text_twice(editor_client, draft):
    url = f"{ADMIN}{draft.pk}/change/"
    data = admin_change_form(editor_client, url)
    data.update(body="## Causes\n\nUnsaved words & more.", _preview="side-by-side")
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
    page = response.content.decode()
    assert page.count("<iframe") == 2
    assert 'title="The page on a phone"' in page and 'title="The page on a desktop"' in page
    # The rendered page, escaped once more to sit in the attribute.
    assert page.count("Unsaved words &amp;amp; more.") == 2
    draft.refresh_from_db()
    assert "Unsaved" not in draft.body  # nothing saved


def test_the_pages_a_link_opens_are_valid_html(
    editor_client, reviewer_client, reader, draft, tmp_path
):
    if not shutil.which("java"):
        pytest.skip("Java is not installed: apt-get install -y default-jre-headless")
    if not VNU_JAR.exists():
        pytest.skip(INSTALL_NODE_TOOLS.format("node_modules/vnu-jar"))
    link = make_link(editor_client, draft)
    url = f"{ADMIN}{draft.pk}/change/"
    data = {**admin_change_form(editor_client, url), "_preview": "side-by-side"}
    pages = {"preview": reader.get(share_links.address(link)).content.decode()}
    pages["side_by_side"] = editor_client.post(url, data).content.decode()
    reviewer_client.post(f"{ADMIN}{draft.pk}/preview-links/{link.pk}/revoke/")
    pages["revoked"] = reader.get(share_links.address(link)).content.decode()
    pages["unknown"] = reader.get("/preview/1:x/").content.decode()
    for name, html in pages.items():
        (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout"]
        + [str(tmp_path / f"{name}.html") for name in pages],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(result.stdout)["messages"]
    assert messages == [], json.dumps(messages, indent=1)[:3000]
