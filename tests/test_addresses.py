"""Article and symptom addresses, built without a reverse() per link, and the addresses of the
pages every page's header and footer name, looked up once, are the addresses the URL
configuration gives: under a sub-path too, and for slugs that need quoting."""

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from conditions.addresses import fixed_address, page_address
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


def test_a_site_under_a_sub_path_links_its_header_and_footer_there(client):
    make_condition("Whiplash", ["Neck pain"])
    plain = client.get("/conditions/whiplash/").content.decode()
    try:
        # What Django's WSGI handler does for a server that mounts the site at /neckinfo/
        # (SCRIPT_NAME); the test client doesn't.
        set_script_prefix("/neckinfo/")
        assert fixed_address("conditions:symptom_list") == "/neckinfo/symptoms/"
        page = client.get("/symptoms/neck-pain/").content.decode()  # another page: not cached
    finally:
        clear_script_prefix()

    assert '<a class="site-name" href="/neckinfo/">' in page
    assert '<a href="/neckinfo/symptoms/">Symptoms A to Z</a>' in page
    assert 'action="/neckinfo/search/"' in page
    assert 'class="chip" href="/neckinfo/symptoms/neck-pain/"' in page
    assert '<a href="/neckinfo/conditions/whiplash/">Whiplash</a>' in page
    # Looked up once for each prefix: the same process, asked without it, links without it.
    assert '<a class="site-name" href="/">' in plain
    assert '<a href="/symptoms/">Symptoms A to Z</a>' in plain
    assert fixed_address("conditions:symptom_list") == "/symptoms/"


def test_a_symptom_page_links_to_its_articles_and_their_symptoms(client):
    make_condition("Whiplash", ["Neck pain", "Headache"])

    page = client.get("/symptoms/neck-pain/").content.decode()

    assert 'href="/conditions/whiplash/"' in page
    assert '<a class="chip" href="/symptoms/headache/">Headache</a>' in page


def test_no_address_for_an_empty_slug():
    with pytest.raises(NoReverseMatch):
        page_address("conditions:symptom", "")
