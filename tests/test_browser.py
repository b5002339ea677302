"""The site in a real browser: accessibility (axe-core), keyboard-only use, and the print layout.

Runs Debian's Chromium through Selenium against `live_server`. Each test is transactional (the
server's thread must see the content), so it makes the symptoms it needs itself: the
vocabulary from the data migration is emptied with every other table between tests.
"""

import base64
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser import VIEWPORTS, assert_no_axe_violations, use_viewport
from tests.factories import make_condition, make_faq

pytest_plugins = ["tests.browser"]  # the `chromium` and `browser` fixtures

# Where the print test leaves its PDF (and a PNG of page 1, when pdftoppm is installed).
PRINT_OUTPUT = Path(__file__).resolve().parent.parent / "screenshots"


@pytest.fixture
def neck_articles():
    """Three conditions and an FAQ about neck pain: enough to narrow and to search."""
    return {
        "spondylosis": make_condition(
            "Cervical spondylosis",
            ["Neck pain", "Neck stiffness", "Dizziness"],
            summary="Age-related wear of the neck's bones and discs: a stiff neck that aches.",
            body=(
                "## What it is\n\nWear and tear of the spine in your neck: it makes it stiff.\n\n"
                "## What you can do\n\nKeep moving gently and take simple painkillers.\n\n"
                "## How long it lasts\n\nFlare-ups usually settle within a few weeks."
            ),
            when_to_get_medical_help="See a GP if the pain lasts more than **two weeks**.",
        ),
        "whiplash": make_condition(
            "Whiplash",
            ["Neck pain", "Headache", "Dizziness"],
            summary="A neck injury from a sudden jolt, such as a car accident.",
            body="## Symptoms\n\nNeck pain and stiffness that start a few hours after a jolt.",
        ),
        "posture": make_condition("Poor posture", ["Neck pain", "Neck stiffness"]),
        "spasms": make_faq(
            "Neck spasms",
            [
                ("Why does my neck keep spasming?", "Usually a **strain** of the muscles."),
                ("Can stress cause neck spasms?", "Yes: tense muscles can go into spasm."),
            ],
            ["Neck pain", "Muscle spasm"],
        ),
    }


# Each page with the heading that shows it is the page meant (Selenium can't see a status).
PAGES = {
    "home": ("/", "Understand your neck and head symptoms"),
    "condition": ("/conditions/cervical-spondylosis/", "Cervical spondylosis"),
    "faq": ("/faqs/neck-spasms/", "Neck spasms"),
    "symptom_list": ("/symptoms/", "Symptoms"),
    "symptom": ("/symptoms/neck-pain/", "Neck pain"),
    "narrowed_symptom": (
        "/symptoms/neck-pain/?with=neck-stiffness&with=dizziness",
        "Articles about neck pain, neck stiffness and dizziness",
    ),
    "further_symptoms": ("/symptoms/neck-pain/further-symptoms/", "Add a symptom to neck pain"),
    "search_results": ("/search/?q=stiff+neck", "Search results for “stiff neck”"),
    "not_found": ("/no-such-page/", "Page not found"),
}


def heading(driver) -> str:
    return driver.find_element(By.TAG_NAME, "h1").text


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_accessibility_violations(browser, live_server, neck_articles, page, viewport):
    path, expected_heading = PAGES[page]
    use_viewport(browser, VIEWPORTS[viewport])
    browser.get(live_server.url + path)

    assert expected_heading in heading(browser)
    assert_no_axe_violations(browser)


# Keyboard-only use: keys go to whatever has focus, as they do for a reader; nothing is clicked.


def press(driver, key: str) -> None:
    ActionChains(driver).send_keys(key).perform()


def focused_matches(driver, selector: str) -> bool:
    return driver.execute_script("return document.activeElement.matches(arguments[0])", selector)


def tab_to(driver, selector: str, limit: int = 80):
    """Press TAB until the focused element matches `selector`; return it."""
    for _ in range(limit):
        press(driver, Keys.TAB)
        if focused_matches(driver, selector):
            return driver.switch_to.active_element
    raise AssertionError(f"{limit} presses of TAB never reached {selector} on {driver.current_url}")


def wait_for_page(driver, condition) -> None:
    """Wait for a navigation started by a key press to finish loading the new page."""
    WebDriverWait(driver, 10).until(
        lambda d: (
            condition(d.current_url)
            and d.execute_script("return document.readyState") == "complete"
        )
    )


def result_titles(driver) -> list[str]:
    return [link.text for link in driver.find_elements(By.CSS_SELECTOR, ".card__title a")]


def test_keyboard_reader_narrows_a_symptom_page_and_removes_a_symptom(
    browser, live_server, neck_articles
):
    browser.get(live_server.url + "/symptoms/neck-pain/")
    assert result_titles(browser) == [
        "Cervical spondylosis",
        "Neck spasms",
        "Poor posture",
        "Whiplash",
    ]

    # The first offer is the symptom most of these articles share.
    offer = tab_to(browser, ".narrowing__options a")
    assert offer.text.startswith("Dizziness")
    press(browser, Keys.ENTER)
    wait_for_page(browser, lambda url: "with=dizziness" in url)

    assert heading(browser) == "Articles about neck pain and dizziness"
    assert result_titles(browser) == ["Cervical spondylosis", "Whiplash"]

    removal = tab_to(browser, ".narrowing__selected a[href='/symptoms/neck-pain/']")
    assert removal.text.startswith("Dizziness")
    press(browser, Keys.ENTER)
    wait_for_page(browser, lambda url: url.endswith("/symptoms/neck-pain/"))

    assert heading(browser) == "Neck pain"
    assert len(result_titles(browser)) == 4


def test_keyboard_reader_adds_a_symptom_from_the_list_of_all_further_symptoms(
    browser, live_server, neck_articles
):
    browser.get(live_server.url + "/symptoms/neck-pain/further-symptoms/")

    # A to Z, each with how many of the articles it would leave.
    offers = [link.text for link in browser.find_elements(By.CSS_SELECTOR, ".az-list a")]
    assert offers == ["Dizziness", "Headache", "Muscle spasm", "Neck stiffness"]
    offer = tab_to(browser, ".az-list a")
    assert offer.text == "Dizziness"
    press(browser, Keys.ENTER)
    wait_for_page(browser, lambda url: "with=dizziness" in url)

    assert heading(browser) == "Articles about neck pain and dizziness"
    assert result_titles(browser) == ["Cervical spondylosis", "Whiplash"]


def test_keyboard_reader_skips_to_content_then_searches_and_opens_a_result(
    browser, live_server, neck_articles
):
    browser.get(live_server.url + "/symptoms/")

    # The first TAB reaches the skip link, and ENTER on it moves focus into the main content.
    press(browser, Keys.TAB)
    assert focused_matches(browser, "a.skip-link")
    assert browser.switch_to.active_element.text == "Skip to main content"
    press(browser, Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main-content"

    # From the top of the page again, TAB reaches the header's search box.
    browser.get(live_server.url + "/symptoms/")
    tab_to(browser, ".site-header input[type=search]", limit=10)
    browser.switch_to.active_element.send_keys("whiplash")
    press(browser, Keys.ENTER)
    wait_for_page(browser, lambda url: "/search/?q=whiplash" in url)

    assert heading(browser) == "Search results for “whiplash”"
    first_result = tab_to(browser, ".search-results a")
    assert first_result.text == "Whiplash"
    press(browser, Keys.ENTER)
    wait_for_page(browser, lambda url: url.endswith("/conditions/whiplash/"))

    assert heading(browser) == "Whiplash"


def test_printed_article_leaves_out_navigation_and_search(browser, live_server, neck_articles):
    browser.get(live_server.url + "/conditions/cervical-spondylosis/")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})

    hidden_when_printed = {
        "header navigation": ".site-header nav",
        "header search form": ".site-header form",
        "footer navigation": ".site-footer nav",
    }
    for name, selector in hidden_when_printed.items():
        element = browser.find_element(By.CSS_SELECTOR, selector)
        assert not element.is_displayed(), f"the {name} ({selector}) is printed"
    article = browser.find_element(By.CSS_SELECTOR, "main article")
    assert article.is_displayed()
    assert "Wear and tear of the spine" in article.text

    pdf = base64.b64decode(browser.print_page())  # Chromium's own print to PDF
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    PRINT_OUTPUT.mkdir(exist_ok=True)
    pdf_path = PRINT_OUTPUT / "print-condition.pdf"
    # Written whole, then renamed: the other pass of `make test` may be reading the last one.
    partial = pdf_path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(pdf)
    partial.replace(pdf_path)
    if shutil.which("pdftoppm"):  # a picture of page 1 for a person to look at
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                pdf_path,
                pdf_path.with_suffix(""),
            ],
            check=True,
        )
