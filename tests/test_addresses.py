"""Article and symptom addresses, built without a reverse() per link, are the addresses the
URL configuration gives: under a sub-path too, and for slugs that need quoting."""

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from conditions.addresses import page_address
from conditions.models import Symptom
from tests.factories import make_condition, make_faq

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slug", ["neck-pain", "névralgie", "a b", "100%"])
@pytest.mark.parametrize("view_name", ["conditions:symptom", "conditions:further_symptoms"])
def test_a_symptom_address_is_the_one_reverse_gives(view_name, slug):
    assert page_address(view_name, slug) == reverse(view_name, args=[slug])


def test_addresses_follow_the_site_under_a_sub_path():
    condition = make_condition("Whiplash", ["Neck pain"])
    faq = make_faq("Neck spasms", [("Why?", "Because.")])
    symptom = Symptom.objects.get(slug="neck-pain")
    try:
        set_script_prefix("/neckinfo/")
        assert condition.get_absolute_url() == "/neckinfo/conditions/whiplash/"
        assert faq.get_absolute_url() == "/neckinfo/faqs/neck-spasms/"
        assert symptom.get_absolute_url() == "/neckinfo/symptoms/neck-pain/"
    finally:
        clear_script_prefix()
    assert symptom.get_absolute_url() == "/symptoms/neck-pain/"


def test_a_symptom_page_links_to_its_articles_and_their_symptoms(client):
    make_condition("Whiplash", ["Neck pain", "Headache"])

    page = client.get("/symptoms/neck-pain/").content.decode()

    assert 'href="/conditions/whiplash/"' in page
    assert '<a class="chip" href="/symptoms/headache/">Headache</a>' in page


def test_no_address_for_an_empty_slug():
    with pytest.raises(NoReverseMatch):
        page_address("conditions:symptom", "")
