""" "Get help now" on a phone, in Chromium: inside the first screen (390×844) of a condition
article, an FAQ and the "Stiff neck + Fever" symptom page that no article matches, with its
numbers as `tel:` links. The pages are those `make run` shows: the sample articles tagged with
the shipped vocabulary and its red flags.
"""

import pytest
from selenium.webdriver.common.by import By

from tests.browser import PHONE, assert_no_axe_violations, use_viewport
from tests.seed_content import import_seed_articles, load_shipped_vocabulary

pytest_plugins = ["tests.browser"]  # the `chromium` and `browser` fixtures
pytestmark = pytest.mark.django_db

# The vocabulary's "stiff neck" (a synonym of Neck stiffness) with a fever: the textbook
# warning sign of meningitis, and no sample article has both.
STIFF_NECK_AND_FEVER = "/symptoms/neck-stiffness/?with=fever"


def test_get_help_now_is_inside_a_phones_first_screen_with_numbers_to_tap(browser, live_server):
    load_shipped_vocabulary()
    condition, faq = import_seed_articles()
    use_viewport(browser, PHONE)

    pages = {
        "condition article": condition.get_absolute_url(),
        "FAQ": faq.get_absolute_url(),
        "Stiff neck + Fever": STIFF_NECK_AND_FEVER,
    }
    for name, path in pages.items():
        browser.get(live_server.url + path)
        box = browser.find_element(By.CSS_SELECTOR, ".help-now")
        bottom = browser.execute_script(
            "return arguments[0].getBoundingClientRect().bottom + window.scrollY;", box
        )
        assert bottom <= PHONE["height"], f"on the {name}, Get help now ends at {bottom}px"
        numbers = [
            (link.text, link.get_attribute("href"))
            for link in box.find_elements(By.CSS_SELECTOR, 'a[href^="tel:"]')
        ]
        assert ("999", "tel:999") in numbers, f"on the {name}: {numbers}"
        assert all(href == f"tel:{text}" for text, href in numbers), numbers

    # The symptom page matched no article, yet shows both symptoms' warning signs in full,
    # and the phone-sized page stays accessible.
    advice = browser.find_element(By.TAG_NAME, "main").text
    assert "Your stiff neck comes with a high temperature" in advice
    assert "You have a high temperature with a stiff neck" in advice
    assert_no_axe_violations(browser)
