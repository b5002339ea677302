"""The conditions A–Z by what things are called: an article's condition name, the other names
it is also called, and the conditions its sections explain, each a signed-off part of the
article; and the names the importer proposes."""

import base64
import hashlib
import json
import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conditions import editorial, history, views, working_copies
from conditions.models import Article, ConditionArticle, ConditionName
from tests.browser import VIEWPORTS, assert_no_axe_violations, use_viewport
from tests.browser_forms import add_inline_rows, admin_change_form
from tests.factories import DRAFT, make_condition, ready_to_publish

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.browser"]

SEED = Path(__file__).resolve().parent.parent / "conditions" / "sample_content"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
SPONDYLOSIS_BODY = (
    "## What it is\n\nWear and tear of the spine in your neck.\n\n"
    "## Bone spurs\n\nSmall growths of bone that can press on nerves."
)


def spondylosis(**fields) -> ConditionArticle:
    """A question-titled article with a condition name, two other names and a condition
    one of its sections explains."""
    article = make_condition(
        "What makes an older neck stiff?",
        ["Neck stiffness"],
        condition_name="Cervical spondylosis",
        body=SPONDYLOSIS_BODY,
        **fields,
    )
    ConditionName.objects.create(article=article, name="Neck arthritis", position=1)
    ConditionName.objects.create(article=article, name="Cervical osteoarthritis", position=2)
    ConditionName.objects.create(
        article=article, name="Osteophytes", section="bone-spurs", position=3
    )
    return article


def a_to_z(client, query: str = "") -> str:
    response = client.get(f"/conditions/{query}")
    assert response.status_code == 200
    return response.content.decode()


def entries(page: str) -> list[str]:
    """The A–Z's entries as a reader reads them, a line each, in order."""
    lists = "".join(re.findall(r'<ul class="az-list">(.*?)</ul>', page, re.S))
    items = re.findall(r"<li>(.*?)</li>", lists, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def test_a_to_z_lists_articles_by_name_with_see_entries_and_explained_conditions(client):
    article = spondylosis()
    make_condition("Whiplash", ["Neck pain"], summary="A neck injury from a sudden jolt.")

    page = a_to_z(client)

    listed = [entry.split(" Explained in")[0] for entry in entries(page)]
    assert listed == [
        "Cervical osteoarthritis — see Cervical spondylosis",
        "Cervical spondylosis What could cause what makes an older neck stiff? and what to do.",
        "Neck arthritis — see Cervical spondylosis",
        "Osteophytes",
        "Whiplash A neck injury from a sudden jolt.",  # no condition name: its title
    ]
    address = article.get_absolute_url()
    assert f'<a href="{address}">Cervical spondylosis</a>' in page
    assert f'— see <a href="{address}">Cervical spondylosis</a>' in page
    assert f'<a href="{address}#bone-spurs">Osteophytes</a>' in page
    assert "Explained in “What makes an older neck stiff?”" in page
    # Each letter once, and the question title is no longer filed under "W".
    assert re.findall(r'<h2 id="letter-([^"]+)">', page) == ["C", "N", "O", "W"]
    # The section's anchor is where the article page puts that heading.
    assert 'id="bone-spurs"' in client.get(address).content.decode()


def test_names_of_unpublished_articles_are_never_listed(client):
    spondylosis(status=DRAFT)
    scheduled = make_condition(
        "Whiplash", condition_name="Neck sprain", published_at=timezone.now() + timedelta(days=1)
    )
    ConditionName.objects.create(article=scheduled, name="Jolted neck")

    page = a_to_z(client)

    for name in ["Cervical spondylosis", "Neck arthritis", "Osteophytes", "Neck sprain", "Jolted"]:
        assert name not in page
    assert "No condition articles have been published yet." in page


def test_names_are_escaped_in_the_a_to_z(client):
    article = make_condition("Whiplash", condition_name="<b>Whiplash</b>")
    ConditionName.objects.create(article=article, name='<script>alert("x")</script>')

    page = a_to_z(client)

    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "&lt;b&gt;Whiplash&lt;/b&gt;" in page


def test_a_changed_name_voids_the_sign_off():
    article = ready_to_publish(spondylosis(status=DRAFT))
    assert editorial.sign_off_is_current(article)

    ConditionName.objects.create(article=article, name="Spinal wear and tear")
    assert not editorial.sign_off_is_current(article)

    article = ready_to_publish(article)
    article.condition_name = "Neck spondylosis"
    article.save()
    assert not editorial.sign_off_is_current(article)


def test_articles_without_names_keep_the_fingerprint_they_were_signed_off_with():
    # Sign-offs given before articles had names must still hold.
    article = make_condition("Whiplash")
    content = {
        "title": article.title,
        "summary": article.summary,
        **{name: getattr(article, name, "") for name in editorial.CONTENT_FIELDS},
        "questions": [],
        "sources": [],
        "symptoms": [],
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode())
    assert editorial.content_fingerprint(article) == digest.hexdigest()


def test_live_article_keeps_its_names_until_its_working_copy_is_published(
    client, editor, editor_client, reviewer
):
    live = ready_to_publish(spondylosis())
    copy = working_copies.start(live, editor)
    # The working copy starts with the live article's names.
    assert copy.condition_name == "Cervical spondylosis"
    assert list(copy.other_names.values_list("name", "section")) == [
        ("Neck arthritis", ""),
        ("Cervical osteoarthritis", ""),
        ("Osteophytes", "bone-spurs"),
    ]

    url = f"/admin/conditions/conditionarticle/{copy.pk}/change/"
    data = admin_change_form(editor_client, url)
    data["condition_name"] = "Spondylosis of the neck"
    add_inline_rows(data, "other_names", [{"name": "Stiff old neck", "position": "3"}])
    response = editor_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]

    page = a_to_z(client)
    assert "Spondylosis of the neck" not in page and "Stiff old neck" not in page
    assert '">Cervical spondylosis</a>' in page

    ready_to_publish(copy, reviewer)
    working_copies.publish(Article.objects.get(pk=copy.pk).specific(), reviewer)

    page = a_to_z(client)
    assert '">Spondylosis of the neck</a>' in page and "Cervical spondylosis" not in page
    assert "Stiff old neck — see Spondylosis of the neck" in entries(page)


def test_admin_offers_the_body_headings_as_sections_and_names_a_row_after_its_heading(
    editor_client,
):
    article = make_condition("What makes an older neck stiff?", status=DRAFT, body=SPONDYLOSIS_BODY)
    url = f"/admin/conditions/conditionarticle/{article.pk}/change/"
    form = editor_client.get(url).content.decode()
    assert '<option value="bone-spurs">Bone spurs</option>' in form
    assert 'name="condition_name"' in form

    data = admin_change_form(editor_client, url)
    data["condition_name"] = "Cervical spondylosis"
    add_inline_rows(
        data,
        "other_names",
        [{"name": "", "section": "bone-spurs"}, {"name": "Neck arthritis", "section": ""}],
    )
    response = editor_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    article.refresh_from_db()
    assert article.condition_name == "Cervical spondylosis"
    assert list(article.other_names.values_list("name", "section")) == [
        ("Bone spurs", "bone-spurs"),
        ("Neck arthritis", ""),
    ]


def test_a_row_with_no_name_and_no_section_is_refused(editor_client):
    article = make_condition("Whiplash", status=DRAFT)
    url = f"/admin/conditions/conditionarticle/{article.pk}/change/"
    data = admin_change_form(editor_client, url)
    add_inline_rows(data, "other_names", [{"position": "4"}])

    response = editor_client.post(url, data)

    assert response.status_code == 200
    assert "Give the name readers would look it up under." in response.content.decode()
    assert not article.other_names.exists()


def test_compare_and_restore_carry_the_names(editor_client):
    article = make_condition("Whiplash", status=DRAFT)
    url = f"/admin/conditions/conditionarticle/{article.pk}/change/"
    data = admin_change_form(editor_client, url)
    data["condition_name"] = "Neck sprain"
    add_inline_rows(data, "other_names", [{"name": "Jolted neck"}])
    assert editor_client.post(url, data).status_code == 302
    data = admin_change_form(editor_client, url)
    data["condition_name"] = ""
    data["other_names-0-DELETE"] = "on"
    assert editor_client.post(url, data).status_code == 302

    from reversion.models import Version

    named, unnamed = sorted(Version.objects.get_for_object(article), key=lambda v: v.pk)[-2:]
    assert history.article_snapshot(named)["Condition name"] == "Neck sprain"
    assert history.article_snapshot(named)["Other names"] == "Jolted neck"
    assert history.article_snapshot(unnamed)["Other names"] == ""

    history.revert_article(named)
    article.refresh_from_db()
    assert article.condition_name == "Neck sprain"
    assert list(article.other_names.values_list("name", flat=True)) == ["Jolted neck"]


def test_search_finds_an_article_by_its_other_names(client):
    article = spondylosis()

    # "Osteoarthritis" is in none of its text: only in one of its other names.
    page = client.get("/search/?q=osteoarthritis").content.decode()

    assert "1 article found." in page
    assert f'href="{article.get_absolute_url()}"' in page


def test_importer_proposes_a_name_and_the_conditions_the_sections_explain(client):
    call_command("import_articles", "--publish", str(SEED), stdout=StringIO())
    article = ConditionArticle.objects.get(title__startswith="What causes neck stiffness")

    assert article.condition_name == "Neck stiffness and dizziness in the back of the neck"
    names = list(article.other_names.values_list("name", "section"))
    assert names == [
        ("Muscle tension and fatigue", "muscle-tension-and-fatigue"),
        ("Poor posture", "poor-posture"),
        ("Anemia", "anemia"),
        ("Cervical spondylosis", "cervical-spondylosis"),
        ("Hypertension", "hypertension"),
    ]
    # Every proposed section is a heading of the page, and the A–Z links to it.
    anchors = {section["id"] for section in article.contents}
    assert {section for _, section in names} <= anchors
    page = a_to_z(client)
    assert f'<a href="{article.get_absolute_url()}#cervical-spondylosis">' in page
    assert "What causes" not in "".join(entries(page)).split("Explained in")[0]


def test_importing_again_keeps_the_names_an_editor_gave(client):
    call_command("import_articles", str(SEED), stdout=StringIO())
    article = ConditionArticle.objects.get(title__startswith="What causes neck stiffness")
    article.condition_name = "Stiff neck with dizziness"
    article.save()
    article.other_names.exclude(name="Cervical spondylosis").delete()

    call_command("import_articles", str(SEED), stdout=StringIO())

    article.refresh_from_db()
    assert article.condition_name == "Stiff neck with dizziness"
    assert list(article.other_names.values_list("name", flat=True)) == ["Cervical spondylosis"]


@pytest.mark.parametrize(
    "title, name",
    [
        ("What causes neck stiffness?", "Neck stiffness"),
        ("What is cervical spondylosis?", "Cervical spondylosis"),
        ("Why does my neck keep clicking?", "Neck keep clicking"),
        ("Whiplash", ""),  # not a question: its title is its name
        ("What?", ""),
    ],
)
def test_proposed_condition_name_from_a_question_title(title, name):
    from conditions.condition_names import proposed_condition_name

    assert proposed_condition_name(title) == name


def test_every_entry_is_on_exactly_one_page_and_letters_lead_to_their_page(client, monkeypatch):
    monkeypatch.setattr(views, "CONDITIONS_PER_PAGE", 3)
    spondylosis()
    for title in ["Whiplash", "Torticollis", "Occipital neuralgia"]:
        make_condition(title)

    pages = [a_to_z(client, f"?page={number}") for number in (1, 2, 3)]

    listed = [entry for page in pages for entry in entries(page)]
    assert len(listed) == 7 and len(set(listed)) == 7
    assert listed == sorted(listed, key=str.lower)
    assert client.get("/conditions/?page=4").status_code == 404
    nav = re.search(r'<nav class="az-nav".*?</nav>', pages[0], re.S)[0]
    links = dict(re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav))
    assert links == {
        "#letter-C": "C",
        "#letter-N": "N",
        "?page=2#letter-O": "O",
        "?page=2#letter-T": "T",
        "?page=3#letter-W": "W",
    }


def test_entries_with_the_same_name_across_a_page_break_are_each_listed_once(client, monkeypatch):
    monkeypatch.setattr(views, "CONDITIONS_PER_PAGE", 2)
    articles = [make_condition(f"Neck pain {n}", condition_name="Neck pain") for n in range(3)]
    ConditionName.objects.create(article=articles[0], name="neck PAIN", section="about-neck-pain-0")
    make_condition("Whiplash")

    pages = [a_to_z(client, f"?page={number}") for number in (1, 2, 3)]

    lists = ["".join(re.findall(r'<ul class="az-list">(.*?)</ul>', page, re.S)) for page in pages]
    links = [link for html in lists for link in re.findall(r'<a href="([^"]+)">', html)]
    assert links == [
        *(article.get_absolute_url() for article in articles),
        f"{articles[0].get_absolute_url()}#about-neck-pain-0",
        "/conditions/whiplash/",
    ]


def test_a_to_z_with_names_in_a_real_browser(browser, live_server):
    spondylosis()
    make_condition("Whiplash", summary="A neck injury from a sudden jolt.")
    SCREENSHOTS.mkdir(exist_ok=True)

    for viewport in ("phone", "desktop"):
        use_viewport(browser, VIEWPORTS[viewport])
        browser.get(f"{live_server.url}/conditions/")
        text = browser.find_element("css selector", "main").text
        assert "Neck arthritis — see Cervical spondylosis" in text
        assert_no_axe_violations(browser)
        shot = browser.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False}
        )
        (SCREENSHOTS / f"condition-names-a-to-z-{viewport}.png").write_bytes(
            base64.b64decode(shot["data"])
        )


def test_the_article_page_says_what_else_the_condition_is_called_at_no_extra_query(client):
    article = spondylosis()
    ready_to_publish(article)  # a current sign-off: the page checks it covers the names too
    url = article.get_absolute_url()
    cache.clear()
    with CaptureQueriesContext(connection) as with_names:
        page = client.get(url).content.decode()

    # Its other names, not the section's condition (that one is a heading of the page).
    assert "Also called: Neck arthritis, Cervical osteoarthritis</p>" in page
    assert '<p class="article-meta__reviewed">Medically reviewed by' in page
    # Read once, for the page and for checking the sign-off.
    name_reads = [q for q in with_names.captured_queries if "conditionname" in q["sql"]]
    assert len(name_reads) == 1, name_reads
