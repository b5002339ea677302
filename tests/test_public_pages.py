"""What readers see: the home page, A–Z lists, articles, symptom pages, and error pages."""

import re
from io import StringIO
from urllib.parse import urlencode, urljoin

import pytest
from django.core.management import call_command
from django.db.models.functions import Lower
from django.test import RequestFactory
from django.views.defaults import server_error

from conditions import models
from conditions.models import Article
from tests.conftest import shared_by_the_tests_inside
from tests.factories import DRAFT, make_condition, make_faq, make_symptom

pytestmark = pytest.mark.django_db


def test_home_shows_published_articles_and_popular_symptoms_but_not_drafts(client):
    make_condition("Cervical spondylosis", ["Neck pain", "Dizziness"])
    make_condition("Whiplash", ["Neck pain"])
    make_condition("Secret draft", ["Jaw pain"], status=DRAFT)

    page = client.get("/").content.decode()

    assert "Cervical spondylosis" in page
    assert "Whiplash" in page
    assert "Secret draft" not in page
    assert 'href="/symptoms/neck-pain/"' in page
    assert "2 articles" in page  # neck pain, counted over published articles only
    assert "Jaw pain" not in page  # only a draft has it
    assert 'action="/search/"' in page


def test_an_articles_card_shows_its_kind_title_summary_and_symptoms_on_every_list(client):
    make_condition(
        'Neck pain & "stiffness" <at night>',
        ["Neck pain", "Pins & needles"],
        summary="Why it <b>hurts</b> & what helps.",
    )
    make_faq("Neck spasms: questions", [("Why?", "Because.")], ["Neck pain"])
    condition_card = (
        '<p class="card__kind">Condition</p>'
        '<h{level} class="card__title"><a href="/conditions/neck-pain-stiffness-at-night/">'
        "Neck pain &amp; &quot;stiffness&quot; &lt;at night&gt;</a></h{level}>"
        '<p class="card__summary">Why it &lt;b&gt;hurts&lt;/b&gt; &amp; what helps.</p>'
        '<ul class="chips" aria-label="Symptoms covered">'
        '<li><a class="chip" href="/symptoms/neck-pain/">Neck pain</a></li>'
        '<li><a class="chip" href="/symptoms/pins-needles/">Pins &amp; needles</a></li></ul>'
    )

    home = client.get("/").content.decode()
    symptom_page = client.get("/symptoms/neck-pain/").content.decode()
    faqs = client.get("/faqs/").content.decode()

    # The same card on the home page and on a symptom page (where the page's heading is h1 and
    # its sections' h2), every word the editors wrote shown as text, never as markup.
    assert condition_card.format(level=3) in home
    assert condition_card.format(level=3) in symptom_page
    assert symptom_page.count('<article class="card">') == 2
    assert '<p class="card__kind">Questions and answers</p>' in symptom_page
    # Narrowing by a symptom: its name as text, how many articles would be left, in words too.
    assert (
        '<a class="chip" href="/symptoms/neck-pain/?with=pins-needles">Pins &amp; needles '
        '<span class="count">1<span class="visually-hidden"> article</span></span></a>'
    ) in symptom_page
    # The FAQ list's cards are its page's sections (h2), the first of each letter its anchor.
    assert (
        '<article class="card" id="letter-N"><p class="card__kind">Questions and answers</p>'
        '<h2 class="card__title"><a href="/faqs/neck-spasms-questions/">Neck spasms: questions'
        "</a></h2>"
    ) in faqs


def test_condition_list_is_alphabetical_by_letter_and_hides_drafts(client):
    make_condition("whiplash")
    make_condition("Anaemia")
    make_condition("Cervical spondylosis")
    make_condition("Draft only", status=DRAFT)
    make_faq("A question page", [("Why?", "Because.")])

    response = client.get("/conditions/")
    page = response.content.decode()

    assert response.status_code == 200
    assert page.index("Anaemia") < page.index("Cervical spondylosis") < page.index("whiplash")
    assert 'id="letter-A"' in page and 'id="letter-W"' in page
    assert '<a href="#letter-A">A</a>' in page  # a short list is one page, as it always was
    assert 'class="pagination"' not in page
    assert "Draft only" not in page
    assert "A question page" not in page


def test_condition_page_shows_body_help_callout_symptom_links_and_related(client):
    article = make_condition(
        "Cervical spondylosis",
        ["Neck pain", "Neck stiffness", "Dizziness"],
        body="## Causes\n\nWear and tear of the **spine**.",
        when_to_get_medical_help="See a GP if the pain lasts more than **two weeks**.",
    )
    make_condition("Whiplash", ["Neck pain"])
    make_condition("Poor posture", ["Neck pain", "Neck stiffness"])
    make_condition("Unrelated", ["Jaw pain"])
    make_condition("Hidden draft", ["Neck pain", "Neck stiffness", "Dizziness"], status=DRAFT)

    page = client.get(article.get_absolute_url()).content.decode()

    assert "<h1>Cervical spondylosis</h1>" in page
    assert '<h2 id="causes">Causes</h2>' in page
    assert "<strong>spine</strong>" in page
    assert "When to get medical help" in page
    assert "<strong>two weeks</strong>" in page
    for slug in ["neck-pain", "neck-stiffness", "dizziness"]:
        assert f'href="/symptoms/{slug}/"' in page
    related = page[page.index("Related articles") :]
    assert related.index("Poor posture") < related.index("Whiplash")  # 2 shared before 1
    assert "Unrelated" not in related
    assert "Hidden draft" not in page


def test_related_articles_come_from_the_newest_sharing_each_symptom(client, monkeypatch):
    # A common symptom is carried by thousands of articles: only the newest few carrying each
    # of the page's symptoms are compared, and their shared symptoms are counted in full, so
    # an older article sharing both symptoms still comes before newer ones sharing one.
    monkeypatch.setattr(models, "RELATED_CANDIDATES", 2)
    article = make_condition("Cervical spondylosis", ["Neck pain", "Dizziness"])
    make_condition("Oldest, sharing one", ["Neck pain"])
    make_condition("Shares both", ["Neck pain", "Dizziness"])
    for number in range(3):
        make_condition(f"Newer, neck pain {number}", ["Neck pain"])
    make_condition("Newest, dizziness", ["Dizziness"])

    page = client.get(article.get_absolute_url()).content.decode()

    related = page[page.index("Related articles") :]
    assert related.index("Shares both") < related.index("Newer, neck pain 2")
    assert "Oldest, sharing one" not in related  # not among the 2 newest with either symptom


def test_faq_page_lists_its_questions_linking_to_their_anchors(client):
    faq = make_faq(
        "Neck spasms",
        [
            ("Why does my neck keep spasming?", "Usually a **strain**."),
            ("Can anxiety cause it?", "Yes."),
        ],
        ["Muscle spasm"],
    )

    page = client.get("/faqs/neck-spasms/").content.decode()

    first, second = faq.items.all()
    assert first.anchor == "why-does-my-neck-keep-spasming"
    assert f'<a href="#{first.anchor}">Why does my neck keep spasming?</a>' in page
    assert f'id="{first.anchor}"' in page and f'id="{second.anchor}"' in page
    assert page.index("Why does my neck keep spasming?") < page.index("Can anxiety cause it?")
    assert "Usually a <strong>strain</strong>." in page


def test_faq_list_shows_published_faqs_only(client):
    make_faq("Neck spasms", [("Why?", "Because.")])
    make_faq("Draft questions", [("Why?", "Because.")], status=DRAFT)
    make_condition("A condition")

    page = client.get("/faqs/").content.decode()

    assert "Neck spasms" in page
    assert "Draft questions" not in page
    assert "A condition" not in page
    assert 'class="az-nav"' not in page  # one page of questions needs no letters to jump to


def test_draft_is_not_public(client):
    condition = make_condition("Draft condition", status=DRAFT)
    faq = make_faq("Draft faq", [("Why?", "Because.")], status=DRAFT)

    assert client.get(condition.get_absolute_url()).status_code == 404
    assert client.get(faq.get_absolute_url()).status_code == 404


def test_staff_see_a_draft_marked_as_not_published(superuser_client):
    condition = make_condition("Draft condition", status=DRAFT)

    response = superuser_client.get(condition.get_absolute_url())

    assert response.status_code == 200
    assert "Preview — not published." in response.content.decode()


def test_a_condition_is_not_reachable_at_the_faq_address_or_the_other_way(client):
    condition = make_condition("Whiplash")
    faq = make_faq("Neck spasms", [("Why?", "Because.")])

    assert client.get(f"/faqs/{condition.slug}/").status_code == 404
    assert client.get(f"/conditions/{faq.slug}/").status_code == 404


@pytest.mark.parametrize(
    "url", ["/conditions/no-such-thing/", "/faqs/no-such-thing/", "/symptoms/no-such-thing/"]
)
def test_unknown_addresses_get_the_friendly_404_page(client, url):
    response = client.get(url)

    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert 'href="/symptoms/"' in page
    assert 'action="/search/"' in page


def test_server_error_page_is_in_the_site_design():
    response = server_error(RequestFactory().get("/"))

    page = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, something went wrong" in page
    assert "NeckInfo" in page and "/static/css/site.css" in page


def test_symptom_list_counts_published_articles_only(client):
    make_condition("Whiplash", ["Neck pain", "Headache"])
    make_faq("Neck questions", [("Why?", "Because.")], ["Neck pain"])
    make_condition("Draft", ["Neck pain", "Jaw pain"], status=DRAFT)
    make_symptom("Unused symptom")

    page = client.get("/symptoms/").content.decode()

    neck_pain = page[page.index('href="/symptoms/neck-pain/"') :]
    assert "2 articles" in neck_pain[:300]
    headache = page[page.index('href="/symptoms/headache/"') :]
    assert "1 article<" in headache[:300]
    assert "Jaw pain" not in page
    assert "Unused symptom" not in page


def test_symptom_page_lists_both_article_types_with_that_symptom(client):
    make_condition("Whiplash", ["Neck pain"])
    make_faq("Neck questions", [("Why?", "Because.")], ["Neck pain"])
    make_condition("Jaw trouble", ["Jaw pain"])
    make_condition("Draft", ["Neck pain"], status=DRAFT)

    page = client.get("/symptoms/neck-pain/").content.decode()

    assert "<h1>Neck pain</h1>" in page
    assert "Whiplash" in page and "Neck questions" in page
    assert "Jaw trouble" not in page and "Draft" not in page
    assert "2 articles" in page


def test_symptom_page_narrows_by_two_symptoms(client):
    make_condition("Stiff and dizzy", ["Neck stiffness", "Dizziness", "Headache"])
    make_condition("Stiff only", ["Neck stiffness", "Headache"])
    make_faq("Dizzy only", [("Why?", "Because.")], ["Dizziness"])

    response = client.get("/symptoms/neck-stiffness/", {"with": "dizziness"})
    page = response.content.decode()

    assert response.status_code == 200
    assert "Stiff and dizzy" in page
    assert "Stiff only" not in page and "Dizzy only" not in page
    assert "Articles about neck stiffness and dizziness" in page
    # Each selected symptom can be removed; removing one leaves the other selected.
    assert 'href="/symptoms/dizziness/"' in page  # removes neck stiffness
    assert 'href="/symptoms/neck-stiffness/"' in page  # removes dizziness
    # The other symptom of the remaining result is offered, with its count.
    options = page[page.index("Also have") :]
    assert 'href="/symptoms/neck-stiffness/?with=dizziness&amp;with=headache"' in options


def test_symptom_page_narrows_by_three_symptoms(client):
    make_condition("All three", ["Neck pain", "Dizziness", "Headache"])
    make_condition("Two of them", ["Neck pain", "Dizziness"])
    make_condition("Other two", ["Neck pain", "Headache"])

    response = client.get("/symptoms/neck-pain/?with=dizziness&with=headache")
    page = response.content.decode()

    assert "All three" in page
    assert "Two of them" not in page and "Other two" not in page
    assert "1 article<" in page


def test_narrowing_options_count_the_current_results(client):
    make_condition("One", ["Neck pain", "Headache", "Dizziness"])
    make_condition("Two", ["Neck pain", "Headache"])
    make_condition("Three", ["Neck pain"])
    make_condition("Draft", ["Neck pain", "Dizziness"], status=DRAFT)

    response = client.get("/symptoms/neck-pain/")

    options = {s.name: s.narrowed_url for s in response.context["narrowing_options"]}
    counts = {s.name: s.match_count for s in response.context["narrowing_options"]}
    assert counts == {"Headache": 2, "Dizziness": 1}
    assert options["Headache"] == "/symptoms/neck-pain/?with=headache"


def test_narrowing_with_no_common_article_says_so(client):
    make_condition("One", ["Neck pain"])
    make_condition("Two", ["Jaw pain"])

    page = client.get("/symptoms/neck-pain/?with=jaw-pain").content.decode()

    assert "No article covers all of these symptoms together" in page


@pytest.mark.parametrize(
    "url, address",
    [
        ("/symptoms/neck-pain/?with=not-a-symptom&with=", "/symptoms/neck-pain/"),
        ("/symptoms/neck-pain/?with=headache&with=headache", "/symptoms/neck-pain/?with=headache"),
        ("/symptoms/neck-pain/?with=neck-pain&with=x&page=2", "/symptoms/neck-pain/?page=2"),
    ],
)
def test_unknown_or_repeated_narrowing_symptoms_lead_to_the_list_without_them(client, url, address):
    # They never narrowed the list; a page per made-up value would cost a render each.
    make_condition("One", ["Neck pain", "Headache"])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == address


def test_symptom_page_past_the_last_page_is_not_found(client):
    make_condition("One", ["Neck pain"])

    assert client.get("/symptoms/neck-pain/?page=99").status_code == 404
    assert client.get("/symptoms/neck-pain/?page=abc").status_code == 404


# The long lists. 350 demo articles: 245 conditions (3 pages of 100) and 105 FAQs (3 of 50).


@pytest.fixture(scope="class")
def long_lists(django_db_setup, django_db_blocker) -> None:
    """Made once for the class of tests that only read them: 350 articles take seconds."""
    with shared_by_the_tests_inside(django_db_blocker):
        call_command("generate_demo_content", "350", "--symptoms", "40", stdout=StringIO())
        yield


def articles_linked(page: str, kind: str) -> list[str]:
    return re.findall(rf'href="(/{kind}/[a-z0-9-]+/)"', page)


def listed_under(letter: str, title: str) -> bool:
    first = title[:1].upper()
    return first == letter or (letter == "0-9" and not first.isalpha())


@pytest.mark.usefixtures("long_lists")
class TestLongLists:
    """The A to Z lists with 350 demo articles, made once for the class."""

    @pytest.mark.parametrize("url, kind, per_page", [("/conditions/", "condition", 100),
                                                      ("/faqs/", "faq", 50)])  # fmt: skip
    def test_a_long_list_comes_in_pages_holding_every_article_in_order(
        self, client, url, kind, per_page
    ):
        articles = list(
            Article.objects.published().filter(kind=kind).order_by(Lower("title"), "pk")
        )
        assert len(articles) > 2 * per_page  # three pages

        pages = [client.get(url), client.get(url + "?page=2"), client.get(url + "?page=3")]

        assert [page.status_code for page in pages] == [200, 200, 200]
        linked = [articles_linked(page.content.decode(), f"{kind}s") for page in pages]
        last_page = len(articles) - 2 * per_page
        assert [len(links) for links in linked] == [per_page, per_page, last_page]
        assert sum(linked, []) == [article.get_absolute_url() for article in articles]
        assert 'href="?page=2" rel="next"' in pages[0].content.decode()
        assert "Page 3 of 3" in pages[2].content.decode()
        assert client.get(url + "?page=4").status_code == 404

    @pytest.mark.parametrize("url, kind", [("/conditions/", "condition"), ("/faqs/", "faq")])
    def test_every_letter_of_a_long_list_leads_to_its_first_article(self, client, url, kind):
        titles = Article.objects.published().filter(kind=kind).order_by(Lower("title"), "pk")
        titles = list(titles.values_list("title", flat=True))
        page_3 = client.get(url + "?page=3").content.decode()
        assert "Page 3 of 3" in page_3
        nav = re.search(r'<nav class="az-nav".*?</nav>', page_3, re.S)[0]
        letters = re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav)
        assert len(letters) == len({title[:1].upper() for title in titles}) > 5

        for link, letter in letters:
            address, anchor = urljoin(url + "?page=3", link).split("#")
            page = client.get(address).content.decode()
            # The first article after the letter's anchor is the first one listed under it.
            after_anchor = page[page.index(f'id="{anchor}"') :]
            first_title = re.search(rf'href="/{kind}s/[a-z0-9-]+/">([^<]+)</a>', after_anchor)[1]
            expected = next(title for title in titles if listed_under(letter, title))
            assert first_title == expected.replace("'", "&#x27;"), letter


def test_titles_are_listed_under_their_letter_whatever_their_first_character(client):
    for title in ["Éczema of the neck", "Ear pain", "3 neck exercises", "Zoster"]:
        make_condition(title)

    page = client.get("/conditions/").content.decode()

    # One group per letter, each with an anchor a link can point to.
    assert re.findall(r'<h2 id="([^"]+)">', page) == ["letter-0-9", "letter-E", "letter-Z"]
    letter_e = page[page.index('id="letter-E"') : page.index('id="letter-Z"')]
    assert "Ear pain" in letter_e and "Éczema of the neck" in letter_e
    assert '<a href="#letter-0-9">0-9</a>' in page


@pytest.mark.parametrize("number", ["0", "01", "+1", " 1", "1.0", "99999", "x"])
def test_a_page_number_the_site_never_writes_is_not_found(client, number):
    # Otherwise "01", "001", "+1"… would each be another copy of page 1, rendered afresh.
    make_condition("Whiplash", ["Neck pain"])
    make_faq("Neck spasms", [("Why?", "Because.")], ["Neck pain"])

    for url in ["/conditions/?", "/faqs/?", "/symptoms/neck-pain/?", "/search/?q=neck&"]:
        response = client.get(url + urlencode({"page": number}))
        assert response.status_code == 404, url
