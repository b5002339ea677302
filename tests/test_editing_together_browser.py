"""Editing together, in real Chromium: text typed before a tab closed is offered back; a save
posted after the sign-in expired keeps the form and goes through after signing in again; two
people on one article see each other, and a reviewer takes the edit over; a clinician without
an account reads a draft through a preview link until it is revoked or expires. Each page
checked with axe-core."""

import tempfile
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conditions.models import Article, ShareLink
from conditions.share_links import address
from tests.browser import (
    AXE_SCRIPT,
    AXE_TAGS,
    CHROMEDRIVER,
    CHROMIUM,
    CHROMIUM_FLAGS,
    INSTALL_CHROMIUM,
    VIEWPORTS,
    assert_no_axe_violations,
    describe_violations,
    signed_in,
    use_viewport,
)
from tests.browser_forms import admin_change_form
from tests.factories import DRAFT, PASSWORD, make_condition, make_faq, make_staff, roles

pytest_plugins = ["tests.browser"]  # the `chromium` and `browser` fixtures

SCREENSHOTS = settings.BASE_DIR / "screenshots"
ADMIN = "/admin/conditions/conditionarticle/"


@pytest.fixture
def second_browser(browser):
    """Another Chromium, with a profile of its own: another person at another computer."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(INSTALL_CHROMIUM)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="neckinfo-chromium-2-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        driver.set_page_load_timeout(30)
        use_viewport(driver, VIEWPORTS["desktop"])
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture
def people(db):
    roles()  # emptied by the previous transactional test, with every table
    return {
        "ed": make_staff("ed", "Editor", "Ed Writer"),
        "rita": make_staff("rita", "Medical reviewer", "Rita Okafor"),
    }


def wait_for(driver, condition, seconds: float = 10):
    return WebDriverWait(driver, seconds).until(condition)


def kept_copies(driver) -> list[str]:
    return driver.execute_script(
        "return Object.keys(localStorage).filter(k => k.startsWith('neckinfo:unsaved:'))"
    )


# What this feature adds to the admin's article form: axe-core checks these parts of it (the
# form's own fields and inlines are the admin's, checked with its layout).
OUR_PARTS = [
    "#keep-typing-offer",
    "#signed-out-notice",
    "#editing-presence",
    "#taken-over-notice",
    "#preview-links",
]


def assert_our_parts_accessible(driver) -> None:
    present = [s for s in OUR_PARTS if driver.find_elements(By.CSS_SELECTOR, s)]
    driver.execute_script(AXE_SCRIPT.read_text(encoding="utf-8"))
    outcome = driver.execute_async_script(
        """
        const [include, tags, done] = arguments;
        axe.run({include: include.map((s) => [s])}, {runOnly: {type: "tag", values: tags}})
          .then((results) => done({violations: results.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary})),
          }))}))
          .catch((error) => done({error: String(error)}));
        """,
        present,
        AXE_TAGS,
    )
    assert "error" not in outcome, outcome
    assert not outcome["violations"], describe_violations(outcome["violations"])


def screenshot(driver, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_text_typed_before_the_tab_closed_is_offered_back(browser, live_server, people):
    draft = make_condition("Wry neck", ["Neck pain"], status=DRAFT, summary="As it was saved.")
    signed_in(browser, live_server, people["ed"])
    url = f"{live_server.url}{ADMIN}{draft.pk}/change/"
    browser.get(url)
    summary = browser.find_element(By.NAME, "summary")
    summary.clear()
    summary.send_keys("Typed just before the tab closed.")
    wait_for(browser, lambda driver: kept_copies(driver))

    reopen_in_a_new_tab(browser, url)
    offer = wait_for(browser, lambda d: d.find_element(By.ID, "keep-typing-offer"))
    wait_for(browser, lambda d: offer.is_displayed())
    assert "You have unsaved changes from" in offer.text
    assert "saved since" not in offer.text  # nobody saved the article meanwhile
    announced = browser.find_element(By.ID, "keep-typing-announce").text
    assert "Restore or discard them" in announced
    assert browser.find_element(By.NAME, "summary").get_attribute("value") == "As it was saved."
    assert_our_parts_accessible(browser)
    screenshot(browser, "keep-typing-offer")

    restore = browser.find_element(By.CSS_SELECTOR, "[data-restore]")
    restore.send_keys("\n")  # by keyboard
    assert browser.find_element(By.NAME, "summary").get_attribute("value") == (
        "Typed just before the tab closed."
    )
    assert not offer.is_displayed()

    browser.find_element(By.NAME, "_save").click()
    wait_for(browser, lambda d: "was changed successfully" in d.page_source)
    assert Article.objects.get(pk=draft.pk).summary == "Typed just before the tab closed."
    wait_for(browser, lambda d: kept_copies(d) == [])  # forgotten once saved (a deferred script)


def reopen_in_a_new_tab(browser, url: str) -> None:
    """The tab closes (as in a crash) and the page is opened again in a new one."""
    closing = browser.current_window_handle
    browser.switch_to.new_window("tab")
    reopened = browser.current_window_handle
    browser.switch_to.window(closing)
    browser.close()
    browser.switch_to.window(reopened)
    use_viewport(browser, VIEWPORTS["desktop"])  # set per tab
    browser.get(url)


def test_text_typed_after_save_and_continue_is_kept_too(browser, live_server, people):
    draft = make_condition("Wry neck", ["Neck pain"], status=DRAFT, summary="As it was saved.")
    signed_in(browser, live_server, people["ed"])
    url = f"{live_server.url}{ADMIN}{draft.pk}/change/"
    browser.get(url)
    browser.find_element(By.NAME, "summary").send_keys(" First words.")
    browser.find_element(By.NAME, "_continue").click()
    wait_for(browser, lambda d: "was changed successfully" in d.page_source)
    wait_for(browser, lambda d: kept_copies(d) == [])
    browser.find_element(By.NAME, "summary").send_keys(" Second words.")
    wait_for(browser, lambda d: kept_copies(d))

    reopen_in_a_new_tab(browser, url)
    restore = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-restore]"))
    wait_for(browser, lambda d: restore.is_displayed())
    restore.click()
    assert browser.find_element(By.NAME, "summary").get_attribute("value") == (
        "As it was saved. First words. Second words."
    )


def test_a_new_article_s_text_comes_back_and_is_forgotten_once_it_is_added(
    browser, live_server, people
):
    signed_in(browser, live_server, people["ed"])
    url = f"{live_server.url}{ADMIN}add/"
    browser.get(url)
    browser.find_element(By.NAME, "title").send_keys("Neck pain after sleeping")
    browser.find_element(By.NAME, "summary").send_keys("Why you wake with a stiff neck.")
    browser.find_element(By.NAME, "body").send_keys("## Causes\n\nA pillow too high.")
    wait_for(
        browser,
        lambda d: "too high" in str(d.execute_script("return Object.values(localStorage).join()")),
    )

    reopen_in_a_new_tab(browser, url)
    restore = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-restore]"))
    wait_for(browser, lambda d: restore.is_displayed())
    restore.click()
    assert browser.find_element(By.NAME, "title").get_attribute("value") == (
        "Neck pain after sleeping"
    )
    browser.find_element(By.NAME, "_save").click()
    wait_for(browser, lambda d: "was added successfully" in d.page_source)
    assert Article.objects.get(title="Neck pain after sleeping").summary == (
        "Why you wake with a stiff neck."
    )
    wait_for(browser, lambda d: kept_copies(d) == [])


def test_text_kept_from_before_someone_else_saved_is_offered_with_a_warning_and_the_guard_decides(
    browser, live_server, people
):
    draft = make_condition("Wry neck", ["Neck pain"], status=DRAFT, summary="As it was saved.")
    path = f"{ADMIN}{draft.pk}/change/"
    signed_in(browser, live_server, people["ed"])
    browser.get(live_server.url + path)
    summary = browser.find_element(By.NAME, "summary")
    summary.clear()
    summary.send_keys("Ed's words.")
    wait_for(browser, lambda driver: kept_copies(driver))
    rita = Client()
    rita.force_login(people["rita"])
    data = admin_change_form(rita, path)
    data["summary"] = "Rita's words."
    assert rita.post(path, data).status_code == 302

    reopen_in_a_new_tab(browser, live_server.url + path)
    offer = wait_for(browser, lambda d: d.find_element(By.ID, "keep-typing-offer"))
    wait_for(browser, lambda d: offer.is_displayed())
    assert "The article has been saved since then." in offer.text
    assert browser.find_element(By.NAME, "summary").get_attribute("value") == "Rita's words."
    offer.find_element(By.CSS_SELECTOR, "[data-restore]").click()
    browser.find_element(By.NAME, "_save").click()
    # The lost-update guard has the final word: refused, Ed's words still in the form.
    wait_for(browser, lambda d: "after you opened it" in d.page_source)
    assert "was changed by Rita Okafor" in browser.page_source
    assert browser.find_element(By.NAME, "summary").get_attribute("value") == "Ed's words."
    assert not browser.find_element(By.ID, "keep-typing-offer").is_displayed()
    assert kept_copies(browser)  # still kept, until a save succeeds
    draft.refresh_from_db()
    assert draft.summary == "Rita's words."


def test_questions_added_before_the_tab_closed_come_back_as_rows(browser, live_server, people):
    faq = make_faq("Neck pain at night", [("Why at night?", "Your pillow.")], status=DRAFT)
    signed_in(browser, live_server, people["ed"])
    url = f"{live_server.url}/admin/conditions/faqarticle/{faq.pk}/change/"
    browser.get(url)
    browser.find_element(By.NAME, "items-1-question").send_keys("Does a new pillow help?")
    browser.find_element(By.NAME, "items-1-answer").send_keys("Often, yes.")
    browser.find_element(By.CSS_SELECTOR, "#items-group .add-row a").click()
    browser.find_element(By.NAME, "items-2-question").send_keys("Should I see a GP?")
    browser.find_element(By.NAME, "items-2-answer").send_keys("If it lasts for weeks.")
    wait_for(browser, lambda driver: kept_copies(driver))
    wait_for(
        browser,
        lambda d: (
            "Should I see a GP?"
            in str(d.execute_script("return Object.values(localStorage).join()"))
        ),
    )

    reopen_in_a_new_tab(browser, url)
    assert not browser.find_elements(By.NAME, "items-2-question")  # two rows, as saved + 1
    restore = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-restore]"))
    wait_for(browser, lambda d: restore.is_displayed())
    restore.click()
    assert browser.find_element(By.NAME, "items-2-question").get_attribute("value") == (
        "Should I see a GP?"
    )
    browser.find_element(By.NAME, "_save").click()
    wait_for(browser, lambda d: "was changed successfully" in d.page_source)
    assert [item.question for item in faq.items.order_by("position", "id")] == [
        "Why at night?",
        "Does a new pillow help?",
        "Should I see a GP?",
    ]


def test_a_save_after_the_sign_in_expired_keeps_the_text_and_goes_through_after_signing_in(
    browser, live_server, people
):
    draft = make_condition("Wry neck", ["Neck pain"], status=DRAFT, summary="As it was saved.")
    signed_in(browser, live_server, people["ed"])
    url = f"{live_server.url}{ADMIN}{draft.pk}/change/"
    browser.get(url)
    summary = browser.find_element(By.NAME, "summary")
    summary.clear()
    summary.send_keys("Written while the sign-in ran out.")
    Session.objects.all().delete()  # the session expires on the server

    browser.find_element(By.NAME, "_save").click()
    notice = browser.find_element(By.ID, "signed-out-notice")
    wait_for(browser, lambda d: notice.is_displayed())
    assert "Your sign-in has expired" in notice.text
    assert browser.current_url == url  # still on the form
    assert summary.get_attribute("value") == "Written while the sign-in ran out."
    assert_our_parts_accessible(browser)
    screenshot(browser, "keep-typing-signed-out")

    form_tab = browser.current_window_handle
    notice.find_element(By.LINK_TEXT, "Sign in again").click()
    wait_for(browser, lambda d: len(d.window_handles) == 2)
    browser.switch_to.window([h for h in browser.window_handles if h != form_tab][0])
    wait_for(browser, lambda d: d.find_elements(By.ID, "id_username"))
    browser.find_element(By.ID, "id_username").send_keys("ed")
    browser.find_element(By.ID, "id_password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(browser, lambda d: "/login/" not in d.current_url)
    browser.close()
    browser.switch_to.window(form_tab)

    browser.find_element(By.NAME, "_save").click()
    wait_for(browser, lambda d: "was changed successfully" in d.page_source)
    assert Article.objects.get(pk=draft.pk).summary == "Written while the sign-in ran out."
    wait_for(browser, lambda d: kept_copies(d) == [])


def test_two_people_on_one_article_see_each_other_and_a_reviewer_takes_over(
    browser, second_browser, live_server, people, settings
):
    settings.EDITING_PRESENCE_POLL_SECONDS = 1
    draft = make_condition("Wry neck", ["Neck pain"], status=DRAFT)
    url = f"{live_server.url}{ADMIN}{draft.pk}/change/"
    signed_in(browser, live_server, people["ed"])
    signed_in(second_browser, live_server, people["rita"])
    browser.get(url)
    second_browser.get(url)

    # Rita's page says so as it opens; Ed's at its next poll.
    notice = second_browser.find_element(By.ID, "editing-presence")
    assert notice.is_displayed()
    assert "Ed Writer is editing since" in notice.text
    wait_for(browser, lambda d: "Rita Okafor is editing since" in d.page_source)
    ed_notice = browser.find_element(By.ID, "editing-presence")
    assert ed_notice.is_displayed()
    assert "Take over" not in ed_notice.text  # an editor can't
    assert_our_parts_accessible(browser)
    screenshot(browser, "presence-editor")
    assert_our_parts_accessible(second_browser)
    screenshot(second_browser, "presence-reviewer")

    browser.find_element(By.NAME, "summary").send_keys(" Ed's unsaved words.")
    take_over = second_browser.find_element(By.XPATH, "//button[text()='Take over from Ed Writer']")
    take_over.send_keys(Keys.SPACE)  # by keyboard, while Rita's page goes on asking
    taken = browser.find_element(By.ID, "taken-over-notice")
    wait_for(browser, lambda d: taken.is_displayed())
    assert "Rita Okafor took this edit over" in taken.text
    assert not browser.find_element(By.NAME, "_save").is_enabled()
    # Rita's page no longer lists him.
    wait_for(second_browser, lambda d: not d.find_element(By.ID, "editing-presence").is_displayed())
    assert kept_copies(browser)  # Ed's words stay in his browser
    assert_our_parts_accessible(browser)
    screenshot(browser, "presence-taken-over")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_clinician_without_an_account_reads_a_draft_until_the_link_is_revoked(
    browser, second_browser, live_server, people, viewport
):
    draft = make_condition(
        "Wry neck", ["Neck pain"], status=DRAFT, body="## Causes\n\nSleeping awkwardly."
    )
    signed_in(browser, live_server, people["ed"])
    use_viewport(browser, VIEWPORTS[viewport])
    browser.get(f"{live_server.url}{ADMIN}{draft.pk}/change/")
    browser.find_element(By.XPATH, "//button[text()='Make a preview link']").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".preview-links__address"))
    link = browser.find_element(By.CSS_SELECTOR, ".preview-links__address").get_attribute("value")
    assert link.startswith(live_server.url + "/preview/")
    assert "Ed Writer" in browser.find_element(By.ID, "preview-links").text
    assert_our_parts_accessible(browser)
    SCREENSHOTS.mkdir(exist_ok=True)
    browser.find_element(By.ID, "preview-links").screenshot(
        str(SCREENSHOTS / f"preview-links-{viewport}.png")
    )

    clinician = second_browser  # no account, never signed in
    use_viewport(clinician, VIEWPORTS[viewport])
    clinician.get(link)
    assert clinician.find_element(By.TAG_NAME, "h1").text == "Wry neck"
    assert (
        "Preview — not published."
        in clinician.find_element(By.CSS_SELECTOR, ".preview-banner").text
    )
    assert "Sleeping awkwardly." in clinician.page_source
    assert_no_axe_violations(clinician)
    screenshot(clinician, f"preview-link-open-{viewport}")

    browser.find_element(By.XPATH, "//button[text()='Revoke']").click()
    wait_for(browser, lambda d: "revoked by Ed Writer" in d.page_source)
    clinician.get(link)
    assert clinician.find_element(By.TAG_NAME, "h1").text == "This preview link no longer works"
    assert "Sleeping awkwardly." not in clinician.page_source
    assert_no_axe_violations(clinician)
    screenshot(clinician, f"preview-link-revoked-{viewport}")

    expired = ShareLink.objects.create(
        article=draft,
        created_by=people["ed"],
        created_at=timezone.now() - timedelta(days=8),
        expires_at=timezone.now() - timedelta(days=1),
    )
    clinician.get(live_server.url + address(expired))
    assert "It has expired." in clinician.page_source
    assert "Sleeping awkwardly." not in clinician.page_source


def test_the_preview_on_a_phone_and_a_desktop_lays_the_page_out_at_both_widths(
    browser, live_server, people
):
    draft = make_condition(
        "Wry neck", ["Neck pain"], status=DRAFT, body="## Causes\n\nSleeping awkwardly."
    )
    signed_in(browser, live_server, people["ed"])
    browser.get(f"{live_server.url}{ADMIN}{draft.pk}/change/")
    body = browser.find_element(By.NAME, "body")
    body.send_keys("\n\nNot saved yet.")
    form_tab = browser.current_window_handle
    browser.find_element(By.XPATH, "//button[text()='Preview on a phone and a desktop']").click()
    wait_for(browser, lambda d: len(d.window_handles) == 2)
    browser.switch_to.window([h for h in browser.window_handles if h != form_tab][0])
    use_viewport(browser, VIEWPORTS["desktop"])
    frames = wait_for(browser, lambda d: d.find_elements(By.TAG_NAME, "iframe"))
    assert len(frames) == 2
    widths = []
    for frame in frames:
        browser.switch_to.frame(frame)
        wait_for(browser, lambda d: "Not saved yet." in d.page_source)
        assert "Preview — not published." in browser.page_source
        widths.append(browser.execute_script("return document.documentElement.clientWidth"))
        browser.switch_to.default_content()
    assert widths[0] <= 390 and widths[1] >= 1200, widths  # a phone's layout, a desktop's
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    ), "the page scrolls sideways at 1,280 px"
    assert_no_axe_violations(browser)
    screenshot(browser, "preview-side-by-side")
    browser.close()
    browser.switch_to.window(form_tab)
    draft.refresh_from_db()
    assert draft.body == "## Causes\n\nSleeping awkwardly."  # nothing saved


def test_copies_nobody_came_back_for_are_forgotten_after_30_days(browser, live_server, people):
    signed_in(browser, live_server, people["ed"])
    browser.get(f"{live_server.url}/admin/")
    browser.execute_script(
        """
        const day = 24 * 3600 * 1000;
        const copy = (age) => JSON.stringify({savedAt: Date.now() - age, version: "", fields: []});
        localStorage.setItem("neckinfo:unsaved:1:/admin/old/", copy(31 * day));
        localStorage.setItem("neckinfo:unsaved:1:/admin/recent/", copy(29 * day));
        localStorage.setItem("someone-else's", "kept");
        """
    )
    browser.get(f"{live_server.url}/admin/")
    assert kept_copies(browser) == ["neckinfo:unsaved:1:/admin/recent/"]
    assert browser.execute_script('return localStorage.getItem("someone-else\'s")') == "kept"


def test_the_page_says_the_sign_in_expired_before_save_is_pressed(
    browser, live_server, people, settings
):
    settings.EDITING_PRESENCE_POLL_SECONDS = 1
    draft = make_condition("Wry neck", ["Neck pain"], status=DRAFT)
    signed_in(browser, live_server, people["ed"])
    browser.get(f"{live_server.url}{ADMIN}{draft.pk}/change/")
    notice = browser.find_element(By.ID, "signed-out-notice")
    assert not notice.is_displayed()

    Session.objects.all().delete()
    wait_for(browser, lambda d: notice.is_displayed())
    # Signed in again (here, a session cookie set as sign-in sets it): the notice goes.
    client = Client()
    client.force_login(people["ed"])
    browser.add_cookie(
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        }
    )
    wait_for(browser, lambda d: not notice.is_displayed())
