"""What search engines and link previews see: titles, descriptions, canonical addresses,
Open Graph and Twitter tags, JSON-LD, the sitemap, robots.txt and the Atom feed."""

import json
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from html.parser import HTMLParser
from io import StringIO
from xml.dom import minidom

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conditions.models import Article
from conditions.sitemaps import ConditionSitemap
from tests.conftest import shared_by_the_tests_inside
from tests.factories import DRAFT, make_condition, make_faq, make_symptom
from tests.production import manage

pytestmark = pytest.mark.django_db

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE_TITLE = "</script><script>alert(1)</script>"


class Head(HTMLParser):
    """What a crawler reads from a page: title, meta tags, links and JSON-LD."""

    def __init__(self, page: str):
        super().__init__()
        self.title = ""
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.json_ld: list[dict] = []
        self._in = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "title":
            self._in = "title"
        elif tag == "meta" and ("name" in attrs or "property" in attrs):
            self.meta[attrs.get("name") or attrs["property"]] = attrs["content"]
        elif tag == "link":
            self.links[attrs["rel"]] = attrs["href"]
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in = "json_ld"

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "json_ld":
            self.json_ld.append(json.loads(data))

    def of_type(self, schema_type: str) -> dict:
        [found] = [data for data in self.json_ld if data["@type"] == schema_type]
        return found


def head_of(client, url: str) -> Head:
    response = client.get(url)
    assert response.status_code == 200, url
    return Head(response.content.decode())


def set_updated_at(article: Article, when) -> None:
    # `updated_at` is auto_now, so only a queryset update can put it in the past.
    Article.objects.filter(pk=article.pk).update(updated_at=when)


def addresses_and_dates(sitemap_response) -> dict[str, str | None]:
    urls = ET.fromstring(sitemap_response.content).iter(f"{SITEMAP}url")
    return {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in urls}


def sitemaps_in_index(client) -> dict[str, str | None]:
    """The sitemaps /sitemap.xml lists: {address: lastmod}."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    sitemaps = ET.fromstring(response.content).iter(f"{SITEMAP}sitemap")
    return {s.findtext(f"{SITEMAP}loc"): s.findtext(f"{SITEMAP}lastmod") for s in sitemaps}


def all_sitemap_addresses(client) -> dict[str, str | None]:
    """Every address in every sitemap the index lists, as a crawler would collect them."""
    addresses = {}
    for sitemap in sitemaps_in_index(client):
        response = client.get(sitemap.removeprefix("http://testserver"))
        assert response.status_code == 200, sitemap
        addresses.update(addresses_and_dates(response))
    return addresses


def test_every_page_type_has_its_own_title(client):
    # A symptom and a condition with the same name must still have different titles.
    make_condition("Neck pain", ["Neck pain", "Headache"])
    make_faq("Neck spasms", [("Why?", "Because.")], ["Neck pain"])
    urls = [
        "/",
        "/conditions/",
        "/faqs/",
        "/symptoms/",
        "/symptoms/neck-pain/",
        "/symptoms/neck-pain/?with=headache",
        "/conditions/neck-pain/",
        "/faqs/neck-spasms/",
        "/search/?q=neck",
    ]

    titles = [head_of(client, url).title for url in urls]

    assert len(set(titles)) == len(urls), titles
    assert titles[4] == "Neck pain (symptom) – NeckInfo"
    assert titles[5] == "Neck pain and Headache (symptoms) – NeckInfo"


def test_article_description_comes_from_its_summary(client):
    article = make_condition("Whiplash", summary="A neck injury from a sudden jolt & what helps.")

    head = head_of(client, article.get_absolute_url())

    summary = "A neck injury from a sudden jolt & what helps."
    assert head.meta["description"] == summary
    assert head.meta["og:description"] == summary
    assert head.meta["twitter:description"] == summary


def test_article_has_open_graph_and_twitter_tags(client):
    article = make_condition("Whiplash")

    head = head_of(client, article.get_absolute_url())

    assert head.meta["og:title"] == "Whiplash – NeckInfo"
    assert head.meta["og:type"] == "article"
    assert head.meta["og:url"] == "http://testserver/conditions/whiplash/"
    assert head.meta["og:site_name"] == "NeckInfo"
    assert head.meta["og:locale"] == "en_GB"
    assert head.meta["twitter:card"] == "summary"
    assert head.meta["twitter:title"] == "Whiplash – NeckInfo"


def test_list_pages_are_websites_to_open_graph(client):
    make_condition("Whiplash", ["Neck pain"])

    for url in ["/", "/conditions/", "/symptoms/", "/symptoms/neck-pain/"]:
        head = head_of(client, url)
        assert head.meta["og:type"] == "website", url
        assert head.meta["og:url"] == head.links["canonical"], url


@pytest.mark.parametrize(
    "url, canonical",
    [
        ("/", "http://testserver/"),
        ("/conditions/", "http://testserver/conditions/"),
        ("/conditions/?page=1", "http://testserver/conditions/"),
        ("/faqs/", "http://testserver/faqs/"),
        ("/symptoms/", "http://testserver/symptoms/"),
        ("/conditions/whiplash/?utm_source=newsletter", "http://testserver/conditions/whiplash/"),
        ("/faqs/neck-spasms/", "http://testserver/faqs/neck-spasms/"),
        ("/symptoms/neck-pain/", "http://testserver/symptoms/neck-pain/"),
        ("/symptoms/neck-pain/?page=1", "http://testserver/symptoms/neck-pain/"),
        # A page narrowed by more symptoms points to the symptom's own page (it is noindex).
        ("/symptoms/neck-pain/?with=headache", "http://testserver/symptoms/neck-pain/"),
    ],
)
def test_canonical_address_per_page_type(client, url, canonical):
    make_condition("Whiplash", ["Neck pain", "Headache"])
    make_faq("Neck spasms", [("Why?", "Because.")], ["Neck pain"])

    head = head_of(client, url)

    assert head.links["canonical"] == canonical


def test_later_pages_of_a_symptom_keep_their_page_in_the_canonical_address(client):
    for number in range(21):  # one more than a page holds
        make_condition(f"Article {number}", ["Neck pain"])

    head = head_of(client, "/symptoms/neck-pain/?page=2&utm_source=x")

    assert head.links["canonical"] == "http://testserver/symptoms/neck-pain/?page=2"
    assert head.title == "Neck pain (symptom), page 2 – NeckInfo"


@pytest.fixture(scope="class")
def two_pages_of_each_list(django_db_setup, django_db_blocker):
    """250 demo articles: 175 conditions and 75 FAQs, two pages of each. Made once for the
    class of tests that only read them."""
    with shared_by_the_tests_inside(django_db_blocker):
        call_command("generate_demo_content", "250", "--symptoms", "40", stdout=StringIO())
        yield


@pytest.mark.usefixtures("two_pages_of_each_list")
class TestLaterPagesOfTheAToZLists:
    @pytest.mark.parametrize(
        "url, title, crumb",
        [
            ("/conditions/?page=2", "Conditions A to Z, page 2 – NeckInfo", "Conditions"),
            ("/faqs/?page=2", "Common questions, page 2 – NeckInfo", "Common questions"),
        ],
    )
    def test_later_pages_of_the_a_to_z_lists_have_their_own_title_address_and_breadcrumb(
        self, client, url, title, crumb
    ):
        head = head_of(client, url + "&utm_source=x")

        assert head.title == title
        assert head.links["canonical"] == f"http://testserver{url}"
        crumbs = head.of_type("BreadcrumbList")["itemListElement"]
        assert [(c["name"], c["item"]) for c in crumbs] == [
            ("Home", "http://testserver/"),
            (crumb, f"http://testserver{url.split('?')[0]}"),
            ("Page 2", f"http://testserver{url}"),
        ]


def test_search_results_have_no_canonical_address_and_are_not_indexed(client):
    make_condition("Whiplash")

    head = head_of(client, "/search/?q=whiplash")

    assert "canonical" not in head.links
    assert head.meta["robots"] == "noindex"


def test_every_page_links_to_the_feed(client):
    head = head_of(client, "/")

    assert head.links["alternate"] == "/feed/"


def test_condition_article_is_a_medical_web_page_about_its_condition(client):
    article = make_condition(
        "Cervical spondylosis",
        ["Neck pain", "Dizziness"],
        summary="Wear and tear of the neck.",
        reviewed_by="Dr Asha Patel, MRCGP",
        last_reviewed_on=date(2024, 3, 1),
    )
    article.refresh_from_db()

    page = head_of(client, article.get_absolute_url()).of_type("MedicalWebPage")

    assert page["@context"] == "https://schema.org"
    assert page["name"] == "Cervical spondylosis"
    assert page["description"] == "Wear and tear of the neck."
    assert page["url"] == "http://testserver/conditions/cervical-spondylosis/"
    assert page["inLanguage"] == "en-GB"
    assert page["datePublished"] == article.published_at.isoformat(timespec="seconds")
    assert page["dateModified"] == article.updated_at.isoformat(timespec="seconds")
    assert page["lastReviewed"] == "2024-03-01"
    assert page["reviewedBy"] == {"@type": "Person", "name": "Dr Asha Patel, MRCGP"}
    assert page["publisher"]["@type"] == "Organization"
    assert page["publisher"]["name"] == "NeckInfo"
    assert page["about"]["@type"] == "MedicalCondition"
    assert page["about"]["name"] == "Cervical spondylosis"
    symptoms = page["about"]["signOrSymptom"]
    assert {s["@type"] for s in symptoms} == {"MedicalSignOrSymptom"}
    assert sorted(s["name"] for s in symptoms) == ["Dizziness", "Neck pain"]


def test_unreviewed_article_claims_no_review(client):
    article = make_condition("Whiplash", ["Neck pain"])

    page = head_of(client, article.get_absolute_url()).of_type("MedicalWebPage")

    assert "lastReviewed" not in page
    assert "reviewedBy" not in page


def test_condition_article_breadcrumbs_lead_home_through_the_list(client):
    article = make_condition("Whiplash")

    page = head_of(client, article.get_absolute_url()).of_type("MedicalWebPage")

    crumbs = page["breadcrumb"]
    assert crumbs["@type"] == "BreadcrumbList"
    assert [(c["position"], c["name"], c["item"]) for c in crumbs["itemListElement"]] == [
        (1, "Home", "http://testserver/"),
        (2, "Conditions", "http://testserver/conditions/"),
        (3, "Whiplash", "http://testserver/conditions/whiplash/"),
    ]


def test_faq_article_is_an_faq_page_with_plain_text_answers(client):
    faq = make_faq(
        "Neck spasms",
        [
            ("Why does my neck keep spasming?", "Usually a **strain** & *tired* muscles."),
            ("Can anxiety cause it?", "Yes.\n\n- tense shoulders\n- poor sleep"),
        ],
    )

    page = head_of(client, faq.get_absolute_url()).of_type("FAQPage")

    assert page["name"] == "Neck spasms"
    assert page["url"] == "http://testserver/faqs/neck-spasms/"
    questions = page["mainEntity"]
    assert {q["@type"] for q in questions} == {"Question"}
    assert {q["acceptedAnswer"]["@type"] for q in questions} == {"Answer"}
    assert [(q["name"], q["acceptedAnswer"]["text"]) for q in questions] == [
        ("Why does my neck keep spasming?", "Usually a strain & tired muscles."),
        ("Can anxiety cause it?", "Yes. tense shoulders poor sleep"),
    ]
    assert [c["name"] for c in page["breadcrumb"]["itemListElement"]] == [
        "Home",
        "Common questions",
        "Neck spasms",
    ]


def test_faq_structured_data_costs_no_extra_query(client, django_assert_num_queries):
    faq = make_faq("Neck spasms", [("Why?", "Because."), ("When?", "Now.")], ["Neck pain"])

    # The questions are read once for the JSON-LD and the page alike (see test_query_counts);
    # the sixth query reads the content version for the page cache.
    with django_assert_num_queries(6):
        client.get(faq.get_absolute_url())


@pytest.mark.parametrize(
    "url, trail",
    [
        ("/conditions/", ["Home", "Conditions"]),
        ("/faqs/", ["Home", "Common questions"]),
        ("/symptoms/", ["Home", "Symptoms"]),
        ("/symptoms/neck-pain/", ["Home", "Symptoms", "Neck pain"]),
        ("/symptoms/neck-pain/?with=headache", ["Home", "Symptoms", "Neck pain"]),
    ],
)
def test_list_and_symptom_pages_have_breadcrumbs(client, url, trail):
    make_condition("Whiplash", ["Neck pain", "Headache"])

    crumbs = head_of(client, url).of_type("BreadcrumbList")["itemListElement"]

    assert [c["name"] for c in crumbs] == trail
    assert [c["position"] for c in crumbs] == list(range(1, len(trail) + 1))
    assert crumbs[-1]["item"].startswith("http://testserver/")
    assert "?" not in crumbs[-1]["item"]


def test_a_hostile_title_cannot_break_out_of_the_structured_data(client):
    article = make_condition(HOSTILE_TITLE, ["Neck pain"], summary="<b>&amp;</b>")

    page = client.get(article.get_absolute_url()).content.decode()

    assert "<script>alert(1)" not in page
    head = Head(page)
    structured = head.of_type("MedicalWebPage")
    assert structured["name"] == HOSTILE_TITLE
    assert structured["description"] == "<b>&amp;</b>"
    assert head.title == f"{HOSTILE_TITLE} – NeckInfo"  # escaped in the page, read back whole


def test_sitemap_lists_published_pages_with_their_last_change(client):
    whiplash = make_condition("Whiplash", ["Neck pain"])
    faq = make_faq("Neck spasms", [("Why?", "Because.")], ["Neck pain", "Muscle spasm"])
    make_condition("Secret draft", ["Jaw pain"], status=DRAFT)
    make_condition("Scheduled", published_at=timezone.now() + timedelta(days=3))
    make_symptom("Unused symptom")
    set_updated_at(whiplash, timezone.make_aware(timezone.datetime(2024, 1, 10, 9, 0)))
    set_updated_at(faq, timezone.make_aware(timezone.datetime(2024, 5, 20, 9, 0)))

    urls = all_sitemap_addresses(client)

    assert urls == {
        "http://testserver/": "2024-05-20",
        "http://testserver/conditions/": "2024-01-10",
        "http://testserver/faqs/": "2024-05-20",
        "http://testserver/symptoms/": "2024-05-20",
        "http://testserver/conditions/whiplash/": "2024-01-10",
        "http://testserver/faqs/neck-spasms/": "2024-05-20",
        # A symptom page changes when its newest published article does.
        "http://testserver/symptoms/neck-pain/": "2024-05-20",
        "http://testserver/symptoms/muscle-spasm/": "2024-05-20",
    }


def test_a_draft_does_not_date_its_symptoms_page(client):
    published = make_condition("Whiplash", ["Neck pain"])
    set_updated_at(published, timezone.make_aware(timezone.datetime(2024, 1, 10, 9, 0)))
    make_condition("Draft", ["Neck pain"], status=DRAFT)  # updated just now

    urls = all_sitemap_addresses(client)

    assert urls["http://testserver/symptoms/neck-pain/"] == "2024-01-10"
    assert urls["http://testserver/faqs/"] is None  # no FAQ published: nothing to date it by


def test_sitemap_is_an_index_of_sections_dated_by_their_newest_change(client):
    whiplash = make_condition("Whiplash", ["Neck pain"])
    faq = make_faq("Neck spasms", [("Why?", "Because.")], ["Muscle spasm"])
    set_updated_at(whiplash, timezone.make_aware(timezone.datetime(2024, 1, 10, 9, 0)))
    set_updated_at(faq, timezone.make_aware(timezone.datetime(2024, 5, 20, 9, 0)))

    sitemaps = sitemaps_in_index(client)

    assert {address: lastmod[:10] for address, lastmod in sitemaps.items()} == {
        "http://testserver/sitemap-pages.xml": "2024-05-20",
        "http://testserver/sitemap-conditions.xml": "2024-01-10",
        "http://testserver/sitemap-faqs.xml": "2024-05-20",
        "http://testserver/sitemap-symptoms.xml": "2024-05-20",
    }
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_a_section_longer_than_a_sitemap_page_is_split_into_pages(client, monkeypatch):
    # The page size is 2,000 addresses; 5 conditions in pages of 2 exercise the same code.
    monkeypatch.setattr(ConditionSitemap, "limit", 2)
    for letter in "ABCDE":
        make_condition(f"{letter} condition")

    sitemaps = sitemaps_in_index(client)
    pages = [client.get(f"/sitemap-conditions.xml?p={number}") for number in (1, 2, 3, 4)]

    conditions = [a for a in sitemaps if "conditions" in a]
    assert conditions == [
        "http://testserver/sitemap-conditions.xml",
        "http://testserver/sitemap-conditions.xml?p=2",
        "http://testserver/sitemap-conditions.xml?p=3",
    ]
    assert [len(addresses_and_dates(page)) for page in pages[:3]] == [2, 2, 1]
    assert pages[3].status_code == 404
    assert client.get("/sitemap-conditions.xml?p=02").status_code == 404


def test_robots_txt_keeps_crawlers_out_of_search_and_points_to_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines == [
        "User-agent: *",
        "Disallow: /search/",
        "Sitemap: http://testserver/sitemap.xml",
    ]


def test_robots_txt_does_not_give_away_a_hidden_admin_address(tmp_path):
    # The admin's address comes from the environment when the site starts: a fresh process.
    script = (
        "from django.test import Client; from django.urls import reverse; "
        "reader = Client(HTTP_HOST='localhost'); "
        "print('=====', reverse('admin:index')); "
        "print('=====', reader.get('/robots.txt').content.decode()); "
        "print('=====', reader.get(reverse('admin:login')).content.decode())"
    )
    result = manage(
        "shell", "-c", script,
        DJANGO_DEBUG="1", DJANGO_ADMIN_PATH="editors-7f3a", DJANGO_PAGE_CACHE="0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    _, admin_path, robots, login_page = result.stdout.split("===== ")
    assert admin_path.strip() == "/editors-7f3a/"
    assert "Sitemap: http://localhost/sitemap.xml" in robots
    assert "editors" not in robots and "admin" not in robots
    assert '<meta name="robots" content="noindex' in login_page


def test_admin_pages_tell_crawlers_not_to_index_them(client):
    head = head_of(client, "/admin/login/")

    assert "noindex" in head.meta["robots"].split(", ")


def test_feed_lists_published_articles_newest_change_first(client):
    older = make_condition("Whiplash", ["Neck pain"], summary="A neck injury & what helps.")
    newer = make_faq("Neck spasms", [("Why?", "Because.")])
    make_condition("Secret draft", status=DRAFT)
    make_condition("Scheduled", published_at=timezone.now() + timedelta(days=3))
    set_updated_at(older, timezone.now() - timedelta(days=2))
    set_updated_at(newer, timezone.now() - timedelta(days=1))

    response = client.get("/feed/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.find(f"{ATOM}author/{ATOM}name").text == "NeckInfo"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Neck spasms", "Whiplash"]
    whiplash = entries[1]
    assert whiplash.find(f"{ATOM}summary").text == "A neck injury & what helps."
    assert whiplash.find(f"{ATOM}link").get("href") == "http://testserver/conditions/whiplash/"
    assert whiplash.find(f"{ATOM}updated").text.startswith(
        (timezone.now() - timedelta(days=2)).date().isoformat()
    )
    assert [c.get("term") for c in whiplash.findall(f"{ATOM}category")] == ["Neck pain"]
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(set(ids)) == len(ids)


def test_feed_is_well_formed_xml_whatever_an_article_holds(client):
    # Word's soft line break and a form feed between words, then a unit separator, a
    # non-character and, where the database stores one (SQLite; PostgreSQL refuses it), a NUL.
    nul = "\x00" if connection.vendor == "sqlite" else ""
    written = f"Neck pain\x0bat\x0cnight\x1f\uffff{nul}"
    make_condition(written, [f"Sore {written}"], summary=f"About {written}")

    response = client.get("/feed/")

    assert response.status_code == 200
    minidom.parseString(response.content)  # raises on ill-formed XML
    [entry] = ET.fromstring(response.content).findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "Neck pain at night"
    assert entry.find(f"{ATOM}summary").text == "About Neck pain at night"
    assert entry.find(f"{ATOM}category").get("term") == "Sore Neck pain at night"


@pytest.mark.parametrize(
    "summary",
    [
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        '<p style="position:fixed;inset:0">Call this number</p>',
    ],
)
def test_feed_sends_summaries_as_text_so_readers_show_markup_instead_of_running_it(client, summary):
    make_condition("Whiplash", summary=summary)

    [entry] = ET.fromstring(client.get("/feed/").content).findall(f"{ATOM}entry")

    assert entry.find(f"{ATOM}summary").get("type") == "text"
    assert entry.find(f"{ATOM}summary").text == summary


def test_feed_holds_the_30_most_recently_updated_articles(client):
    for number in range(31):
        article = make_condition(f"Article {number}")
        set_updated_at(article, timezone.now() - timedelta(days=number))

    entries = ET.fromstring(client.get("/feed/").content).findall(f"{ATOM}entry")

    assert len(entries) == 30
    assert entries[0].find(f"{ATOM}title").text == "Article 0"
    assert "Article 30" not in [e.find(f"{ATOM}title").text for e in entries]


def add_articles(first: int, last: int) -> None:
    for number in range(first, last):
        make_condition(f"Article {number}", ["Neck pain", f"Symptom {number}"])
        make_faq(f"Faq {number}", [("Why?", "Because.")], ["Headache", f"Other {number}"])


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_sitemap_and_feed_cost_the_same_with_1_and_30_articles(client):
    urls = ["/sitemap.xml", "/sitemap-pages.xml", "/sitemap-conditions.xml", "/sitemap-faqs.xml",
            "/sitemap-symptoms.xml", "/feed/", "/robots.txt"]  # fmt: skip
    add_articles(0, 1)
    with_one = {url: count_queries(client, url) for url in urls}

    add_articles(1, 30)
    with_thirty = {url: count_queries(client, url) for url in urls}

    assert with_thirty == with_one
    # Each includes one query for the page cache's content version. The index: the newest
    # change and the number of pages of each section; a section: its count and its page (the
    # few hundred symptoms are counted in Python).
    assert with_one == {
        "/sitemap.xml": 8,
        "/sitemap-pages.xml": 2,
        "/sitemap-conditions.xml": 3,
        "/sitemap-faqs.xml": 3,
        "/sitemap-symptoms.xml": 2,
        "/feed/": 3,
        "/robots.txt": 1,
    }
