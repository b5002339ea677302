"""The search page leaves no dead end: a search that finds nothing still offers help, the
symptoms its words name and ways to browse; filters apply as soon as they change (with
script) or with the Search button (without); an FAQ hit is the question that matched.

The page's HTML is read through the test client (as a browser without script would get it);
the tests at the end drive Chromium.
"""

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.wait import WebDriverWait

from conditions.models import FaqItem
from conditions.search import results as search_results
from tests.browser import VIEWPORTS, assert_no_axe_violations, use_viewport
from tests.factories import make_condition, make_faq, make_symptom

pytest_plugins = ["tests.browser"]  # the `chromium` and `browser` fixtures

pytestmark = pytest.mark.django_db

BROWSE_LINKS = ['href="/symptoms/"', 'href="/conditions/"', 'href="/faqs/"']


@pytest.fixture
def neck_library():
    """Two conditions and an FAQ whose title shares no word with its questions."""
    make_symptom("Dizziness", synonyms="vertigo, light-headedness")
    make_symptom("Ringing in the ears", synonyms="tinnitus, buzzing")  # no article has it
    make_symptom("Double vision")  # nor this
    make_condition("Whiplash", ["Neck pain", "Dizziness"], body="Neck pain after a jolt.")
    make_condition("Cervical spondylosis", ["Neck pain"], body="Wear of the neck's discs.")
    make_condition("Jaw clicking", ["Jaw pain"], body="Grinding teeth at night.")
    make_faq(
        "Everyday questions",
        [
            ("Can a headache make you feel sick?", "Yes, migraines often do. Rest in the dark."),
            ("Does screen time cause eye strain?", "Long hours at a screen tire the eye muscles."),
        ],
        ["Neck pain", "Headache"],
    )


def page_of(client, **params) -> str:
    response = client.get("/search/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_search_that_finds_nothing_offers_help_now_and_ways_to_browse(client, neck_library):
    page = page_of(client, q="meningitis")

    assert "No articles found for “meningitis”" in page
    assert "Get help now" in page
    assert 'href="tel:999"' in page and 'href="tel:111"' in page
    assert 'href="https://111.nhs.uk/"' in page
    assert all(link in page for link in BROWSE_LINKS)
    assert "0 articles found" not in page


def test_a_search_that_finds_nothing_links_the_symptoms_its_words_name(client, neck_library):
    page = page_of(client, q="seeing double")

    assert "No articles found" in page
    assert "Symptoms matching your words" in page
    assert '<a href="/symptoms/double-vision/">Double vision</a>' in page


def test_a_synonym_names_its_symptom(client, neck_library):
    page = page_of(client, q="tinnitus")

    assert "No articles found" in page
    assert '<a href="/symptoms/ringing-in-the-ears/">Ringing in the ears</a>' in page


def test_a_search_of_only_punctuation_is_no_dead_end_either(client, neck_library):
    page = page_of(client, q="%%%")

    assert "No articles found" in page and 'href="tel:999"' in page


def test_nothing_found_with_filters_offers_the_search_without_them(client, neck_library):
    page = page_of(client, q="whiplash", type="faq")

    assert "No articles found for “whiplash” with the filters chosen." in page
    assert 'href="?q=whiplash">Search all articles for “whiplash”</a>' in page


def test_a_misspelling_shows_what_it_meant(client, neck_library):
    page = page_of(client, q="whiplsh")

    assert "Showing results for <strong>whiplash</strong> instead" in page
    assert '<a href="/conditions/whiplash/">' in page


def test_the_reader_s_words_are_escaped_in_everything_a_search_that_finds_nothing_shows(
    client, neck_library
):
    page = page_of(client, q='<script>alert("x")</script>', type="faq")

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_without_script_the_filters_apply_with_the_search_button(client, neck_library):
    # What the form sends when the Search button is pressed: every field, empty or not.
    page = page_of(client, q="neck", type="condition", symptom="dizziness")

    assert "1 article found." in page
    assert '<a href="/conditions/whiplash/">' in page
    assert 'value="condition" checked' in page
    assert '<option value="dizziness" selected>' in page
    # A browser must not put back other filters than these when the reader comes back.
    assert 'autocomplete="off" data-search-filters' in page


def test_the_symptom_filter_offers_only_symptoms_the_results_have(client, neck_library):
    page = page_of(client, q="neck")

    offered = page[page.index('<select id="search-symptom"') : page.index("</select>")]
    assert '<option value="dizziness">Dizziness</option>' in offered
    assert '<option value="headache">Headache</option>' in offered
    assert "jaw-pain" not in offered  # an article has it, but none of these results
    assert '<option value="jaw-pain">Jaw pain</option>' in page_of(client, q="jaw")


def offered_symptoms(page: str) -> list[str]:
    offered = page[page.index('<select id="search-symptom"') : page.index("</select>")]
    return re.findall(r'<option value="[^"]+"[^>]*>([^<]+)</option>', offered)


def test_the_symptom_filter_offers_the_symptoms_most_results_have(
    client, neck_library, monkeypatch
):
    # A common word finds hundreds of articles with 200 symptoms among them: the filter
    # offers the few most of them have, not a list to scroll through.
    monkeypatch.setattr(search_results, "FILTER_SYMPTOMS", 2)

    # Neck pain: all three results have it; Dizziness and Headache one each (by name).
    assert offered_symptoms(page_of(client, q="neck")) == ["Dizziness", "Neck pain"]

    # The symptom chosen is always offered, though another the results share comes first.
    monkeypatch.setattr(search_results, "FILTER_SYMPTOMS", 1)
    page = page_of(client, q="neck", type="faq", symptom="neck-pain")
    assert offered_symptoms(page) == ["Neck pain"]
    assert '<option value="neck-pain" selected>' in page


def test_an_faq_hit_is_the_question_with_its_answer_and_anchor(client, neck_library):
    page = page_of(client, q="eye strain")
    anchor = FaqItem.objects.get(question__startswith="Does screen time").anchor

    hit = page[page.index('<h2 class="search-result__title">') :]
    assert hit.startswith(
        f'<h2 class="search-result__title"><a href="/faqs/everyday-questions/#{anchor}">'
        "Does screen time cause <mark>eye</mark> <mark>strain</mark>?</a></h2>"
    )
    assert '<p class="search-result__from">From: Everyday questions</p>' in hit
    snippet = hit[hit.index("search-result__snippet") : hit.index("</p>", hit.index("snippet"))]
    assert "tire the <mark>eye</mark> muscles" in snippet
    assert "migraines" not in snippet


# In Chromium.


def wait_until(driver, condition, timeout: float = 10):
    return WebDriverWait(driver, timeout).until(condition)


def count_text(driver) -> str:
    # Read in one step: the results may be swapped between finding an element and reading it.
    return driver.execute_script(
        "return document.querySelector('[data-search-count]').textContent.trim()"
    )


def test_nothing_found_on_a_phone_puts_help_in_the_first_screen(browser, live_server):
    make_symptom("Double vision")
    make_condition("Whiplash", ["Neck pain"])
    use_viewport(browser, VIEWPORTS["phone"])
    browser.get(live_server.url + "/search/?q=meningitis+double")

    help_box = browser.find_element(By.CSS_SELECTOR, "#search-results .help-now")
    assert help_box.rect["y"] + help_box.rect["height"] <= 844, help_box.rect
    emergency = help_box.find_element(By.CSS_SELECTOR, "a[href='tel:999']")
    assert emergency.is_displayed() and emergency.text == "999"
    links = {a.text for a in browser.find_elements(By.CSS_SELECTOR, ".no-results a")}
    assert {"Double vision", "Symptoms A to Z", "Conditions A to Z", "Common questions"} <= links
    assert_no_axe_violations(browser)
    use_viewport(browser, VIEWPORTS["desktop"])
    assert_no_axe_violations(browser)

    # Misspelt, it finds nothing as typed: what it meant is found instead.
    browser.get(live_server.url + "/search/?q=whiplsh")
    notice = browser.find_element(By.CSS_SELECTOR, "#search-results .notice").text
    assert notice == "No results for “whiplsh”. Showing results for whiplash instead."
    assert browser.find_element(By.LINK_TEXT, "Whiplash").is_displayed()


def test_filters_apply_as_they_change_and_stay_true_after_going_back(
    browser, live_server, neck_library
):
    browser.get(live_server.url + "/search/?q=neck")
    assert count_text(browser) == "3 articles found."

    faq_only = browser.find_element(By.CSS_SELECTOR, "input[name=type][value=faq]")
    faq_only.click()
    wait_until(browser, lambda d: "type=faq" in d.current_url)
    wait_until(browser, lambda d: count_text(d) == "1 article found.")
    announcement = browser.find_element(By.CSS_SELECTOR, "[data-search-announcement]")
    assert announcement.get_attribute("textContent") == "1 article found."
    # Still on the same page, with focus where the reader left it.
    assert browser.switch_to.active_element == faq_only

    # The FAQ found has no dizziness: the symptom filter doesn't offer it until all are shown.
    assert not browser.find_elements(By.CSS_SELECTOR, "option[value=dizziness]")
    browser.find_element(By.CSS_SELECTOR, "input[name=type][value='']").click()
    wait_until(browser, lambda d: count_text(d) == "3 articles found.")
    Select(browser.find_element(By.ID, "search-symptom")).select_by_value("dizziness")
    wait_until(browser, lambda d: count_text(d) == "1 article found.")
    assert browser.current_url.endswith("/search/?q=neck&symptom=dizziness")
    titles = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".search-result__title a")]
    assert titles == ["Whiplash"]
    assert_no_axe_violations(browser)

    browser.find_element(By.LINK_TEXT, "Whiplash").click()
    wait_until(browser, lambda d: "/conditions/whiplash/" in d.current_url)
    browser.back()
    wait_until(browser, lambda d: d.find_elements(By.ID, "search-symptom"))
    # The filters shown are those the count was found with, however the page came back.
    assert count_text(browser) == "1 article found."
    assert Select(browser.find_element(By.ID, "search-symptom")).first_selected_option.text == (
        "Dizziness"
    )
    checked = browser.find_element(By.CSS_SELECTOR, "input[name=type]:checked")
    assert checked.get_attribute("value") == ""
    # As a browser restoring a form's state would, without a change event:
    browser.execute_script(
        "document.getElementById('search-symptom').value = '';"
        "window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}));"
    )
    assert browser.find_element(By.ID, "search-symptom").get_attribute("value") == "dizziness"
    use_viewport(browser, VIEWPORTS["phone"])
    assert_no_axe_violations(browser)
