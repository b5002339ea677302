"""A symptom page offers the further symptoms its articles share most; every one of them,
A to Z, is on a page of its own, one link away."""

import re

import pytest

from conditions.models import Symptom
from conditions.views import FURTHER_SYMPTOMS_SHOWN
from tests.factories import DRAFT, make_condition

pytestmark = pytest.mark.django_db

# More further symptoms than a symptom page shows: "Other symptom 01" on one neck-pain
# article, "Other symptom 02" on two, … "Other symptom 30" on thirty.
OTHER_SYMPTOMS = 30


@pytest.fixture
def many_further_symptoms():
    for number in range(1, OTHER_SYMPTOMS + 1):
        shared_by = [f"Other symptom {other:02}" for other in range(number, OTHER_SYMPTOMS + 1)]
        make_condition(f"Article {number:02}", ["Neck pain", *shared_by])
    # A draft's symptoms are offered by no public page.
    make_condition("Draft", ["Neck pain", "Unpublished symptom"], status=DRAFT)


def offered(page: str) -> list[str]:
    options = page[
        page.index('id="narrow-title"') : page.index("</section>", page.index("narrow-title"))
    ]
    return re.findall(r'class="chip" href="[^"]+">([^<]+?) <span', options)


def test_a_symptom_page_offers_the_most_shared_further_symptoms_first(
    client, many_further_symptoms
):
    page = client.get("/symptoms/neck-pain/").content.decode()

    assert FURTHER_SYMPTOMS_SHOWN < OTHER_SYMPTOMS
    assert offered(page) == [
        f"Other symptom {number:02}"
        for number in range(OTHER_SYMPTOMS, OTHER_SYMPTOMS - FURTHER_SYMPTOMS_SHOWN, -1)
    ]
    assert (
        'href="/symptoms/neck-pain/?with=other-symptom-30">Other symptom 30 <span class="count">30<'
        in page
    )
    assert "Unpublished symptom" not in page
    assert "30 articles" in page
    more = re.search(r'<a href="([^"]+)">All symptoms these articles also cover, A to Z</a>', page)
    assert more and more[1] == "/symptoms/neck-pain/further-symptoms/"


def test_the_further_symptoms_page_lists_every_one_a_to_z_with_its_count(
    client, many_further_symptoms
):
    response = client.get("/symptoms/neck-pain/further-symptoms/")
    page = response.content.decode()

    assert response.status_code == 200
    assert "<h1>Add a symptom to neck pain</h1>" in page
    listed = re.findall(
        r'<li><a href="([^"]+)">([^<]+)</a> <span class="count">(\d+) article', page
    )
    assert [name for _, name, _ in listed] == [
        f"Other symptom {number:02}" for number in range(1, OTHER_SYMPTOMS + 1)
    ]
    assert listed[0] == ("/symptoms/neck-pain/?with=other-symptom-01", "Other symptom 01", "1")
    assert listed[-1][2] == "30"
    assert "Unpublished symptom" not in page
    # Not a page for search engines: a way of narrowing the symptom page, which it names.
    assert '<meta name="robots" content="noindex">' in page
    assert 'href="/symptoms/neck-pain/">go back to all of them</a>' in page


def test_a_narrowed_page_links_to_the_further_symptoms_of_its_own_results(
    client, many_further_symptoms
):
    page = client.get("/symptoms/neck-pain/?with=other-symptom-05").content.decode()

    # Articles 01–05 carry Other symptom 05, and each of them every symptom from its own
    # number up: 06–30 are on all five, 01–04 on fewer. Only the 24 most shared are offered.
    assert offered(page) == [f"Other symptom {number:02}" for number in range(6, 30)]
    assert "5 articles" in page
    assert 'href="/symptoms/neck-pain/further-symptoms/?with=other-symptom-05"' in page

    further = client.get("/symptoms/neck-pain/further-symptoms/?with=other-symptom-05")
    listed = re.findall(
        r'<li><a href="([^"]+)">([^<]+)</a> <span class="count">(\d+)', further.content.decode()
    )
    assert len(listed) == OTHER_SYMPTOMS - 1
    assert listed[0] == (
        "/symptoms/neck-pain/?with=other-symptom-05&amp;with=other-symptom-01",
        "Other symptom 01",
        "1",
    )


def test_ties_for_the_last_place_offered_go_by_name(client):
    # Every further symptom is on both articles: the first 24 by name are offered.
    names = [f"Symptom {letter}" for letter in "ZYXWVUTSRQPONMLKJIHGFEDCBA"]
    make_condition("One", ["Neck pain", *names])
    make_condition("Two", ["Neck pain", *names])

    page = client.get("/symptoms/neck-pain/").content.decode()

    assert offered(page) == sorted(names)[:FURTHER_SYMPTOMS_SHOWN]


def test_a_page_with_few_further_symptoms_offers_them_all_and_no_more_link(client):
    make_condition("One", ["Neck pain", "Headache", "Dizziness"])

    page = client.get("/symptoms/neck-pain/").content.decode()

    assert offered(page) == ["Dizziness", "Headache"]
    assert "further-symptoms" not in page


def test_the_further_symptoms_page_keeps_the_warning_signs(client):
    neck_stiffness = Symptom.objects.get(slug="neck-stiffness")
    neck_stiffness.red_flag_advice = "A stiff neck with a fever can be meningitis."
    neck_stiffness.red_flag_level = Symptom.RedFlagLevel.EMERGENCY
    neck_stiffness.save()
    make_condition("Neck strain", ["Neck stiffness", "Headache"])

    page = client.get("/symptoms/neck-stiffness/further-symptoms/").content.decode()

    box = page[page.index('<aside class="help-now"') : page.index("</aside>")]
    assert "tel:999" in box and 'href="#red-flags-title"' in box
    assert 'id="red-flags-title"' in page and "can be meningitis" in page


@pytest.mark.parametrize(
    "url, address",
    [
        ("/symptoms/neck-pain/further-symptoms/?with=x", "/symptoms/neck-pain/further-symptoms/"),
        (
            "/symptoms/neck-pain/further-symptoms/?with=headache&with=headache",
            "/symptoms/neck-pain/further-symptoms/?with=headache",
        ),
    ],
)
def test_unknown_or_repeated_symptoms_lead_to_the_further_symptoms_without_them(
    client, url, address
):
    make_condition("One", ["Neck pain", "Headache"])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == address


def test_an_unknown_symptom_has_no_further_symptoms_page(client):
    assert client.get("/symptoms/not-a-symptom/further-symptoms/").status_code == 404
