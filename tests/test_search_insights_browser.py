"""What readers search for, in a real browser: the admin report and a search with a promoted
result, on a phone and a desktop, with no accessibility violations (axe-core)."""

import pytest
from django.conf import settings
from django.utils import timezone
from selenium.webdriver.common.by import By

from conditions.models import PromotedResult, SearchCount
from tests.browser import VIEWPORTS, assert_no_axe_violations, signed_in, use_viewport
from tests.factories import make_condition, make_staff, roles

pytest_plugins = ["tests.browser"]  # the `chromium` and `browser` fixtures

# Where a person can look at what the test saw (git ignores it).
SCREENSHOTS = settings.BASE_DIR / "screenshots"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_report_and_a_recommended_result_read_well_on_a_phone_and_a_desktop(
    browser, live_server, viewport
):
    roles()  # emptied by the previous transactional test, with every table
    whiplash = make_condition("Whiplash", ["Neck pain"], body="A jolt strains the neck.")
    PromotedResult.objects.create(query="car crash neck", article=whiplash)
    today = timezone.localdate()
    SearchCount.objects.create(query="occipital neuralgia", day=today, searches=7, results=0)
    SearchCount.objects.create(
        query='"><img src=x onerror=alert(1)>', day=today, searches=2, results=0
    )
    SearchCount.objects.create(query="neck pain", day=today, searches=12, results=4)
    use_viewport(browser, VIEWPORTS[viewport])
    SCREENSHOTS.mkdir(exist_ok=True)

    browser.get(live_server.url + "/search/?q=car+crash+neck")
    first = browser.find_element(By.CSS_SELECTOR, ".search-result")
    assert first.text.startswith("RECOMMENDED"), first.text  # the label, in words
    assert "Whiplash" in first.text
    assert_no_axe_violations(browser)
    browser.save_screenshot(str(SCREENSHOTS / f"search-recommended-{viewport}.png"))

    signed_in(browser, live_server, make_staff("ed", "Editor", "Ed Writer"))
    browser.get(live_server.url + "/admin/conditions/searchcount/?days=30")
    assert browser.find_element(By.TAG_NAME, "h1").text == "What readers search for"
    nothing = browser.find_elements(
        By.CSS_SELECTOR, "table[aria-labelledby=found-nothing] th[scope=row]"
    )
    # Most searched first; the hostile words shown as text, never as markup.
    assert [cell.text for cell in nothing] == [
        "occipital neuralgia",
        '"><img src=x onerror=alert(1)>',
    ]
    assert browser.execute_script("return document.querySelectorAll('img[src=x]').length") == 0
    assert_no_axe_violations(browser)
    browser.save_screenshot(str(SCREENSHOTS / f"admin-search-report-{viewport}.png"))

    browser.find_element(By.LINK_TEXT, "Add as a synonym").click()
    words = browser.find_element(By.NAME, "words")
    assert words.get_attribute("value") == "occipital neuralgia"
    assert_no_axe_violations(browser)
    browser.save_screenshot(str(SCREENSHOTS / f"admin-search-synonym-{viewport}.png"))
