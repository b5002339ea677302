"""The admin in a real browser, as an editor uses it on a laptop (1,280 × 900) and on a phone
(390 × 844): every page an Editor can reach fits the window without sideways scrolling, and
the seed FAQ's form is short enough to find one's way in."""

import base64

import pytest
import reversion
from django.conf import settings
from django.utils import timezone
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from conditions import working_copies
from conditions.models import Article, PageFeedback, SearchCount, Source
from tests.browser import VIEWPORTS, axe_violations, describe_violations, signed_in, use_viewport
from tests.factories import DRAFT, make_condition, make_faq, make_staff
from tests.seed_content import import_seed_articles, load_shipped_vocabulary

pytest_plugins = ["tests.browser"]  # the `chromium` and `browser` fixtures

# Where a person can look at what the test saw (git ignores it).
SCREENSHOTS = settings.BASE_DIR / "screenshots"


def editors_pages() -> dict[str, str]:
    """Content like `make run`'s, plus a draft of each kind, a working copy, a deleted draft,
    searches and feedback; and every admin page an Editor can reach on it."""
    load_shipped_vocabulary()
    condition, faq = import_seed_articles()
    draft = make_condition(
        "Whiplash after a car accident with a very long title that goes on and on",
        ["Neck pain"],
        status=DRAFT,
    )
    Source.objects.create(
        article=draft,
        title="Whiplash injury: a long source title as the NHS writes them, with its subtitle",
        publisher="NHS",
        url="https://www.nhs.uk/conditions/whiplash/with/a/long/address/that/does/not/break",
    )
    with reversion.create_revision():
        draft_faq = make_faq("Neck clicking", [("Is clicking serious?", "Usually not.")],
                             ["Neck pain"], status=DRAFT)  # fmt: skip
    with reversion.create_revision():
        gone = make_condition("Torticollis", ["Neck pain"], status=DRAFT)
    gone.delete()
    faq_copy = working_copies.start(faq.specific(), None)
    SearchCount.objects.create(
        query="occipital neuralgia", day=timezone.localdate(), searches=7, results=0
    )
    PageFeedback.objects.create(article=condition, useful=False, comment="Too long " * 40)
    versions = list(reversion.models.Version.objects.get_for_object(faq).order_by("pk"))
    recover = reversion.models.Version.objects.get_deleted(type(gone)).first()
    admin = "/admin/conditions"
    return {
        "home": "/admin/",
        "conditions": f"{admin}/conditionarticle/",
        "conditions_filtered": f"{admin}/conditionarticle/?status__exact=published",
        "condition_add": f"{admin}/conditionarticle/add/",
        "condition_live": f"{admin}/conditionarticle/{condition.pk}/change/",
        "condition_draft": f"{admin}/conditionarticle/{draft.pk}/change/",
        "condition_history": f"{admin}/conditionarticle/{condition.pk}/history/",
        "condition_delete": f"{admin}/conditionarticle/{draft.pk}/delete/",
        "condition_recover_list": f"{admin}/conditionarticle/recover/",
        "condition_recover": f"{admin}/conditionarticle/recover/{recover.pk}/",
        "faqs": f"{admin}/faqarticle/",
        "faq_add": f"{admin}/faqarticle/add/",
        "faq_live": f"{admin}/faqarticle/{faq.pk}/change/",
        "faq_draft": f"{admin}/faqarticle/{draft_faq.pk}/change/",
        "faq_working_copy": f"{admin}/faqarticle/{faq_copy.pk}/change/",
        "faq_copy_compare": f"{admin}/faqarticle/{faq_copy.pk}/working-copy/compare/",
        "faq_copy_discard": f"{admin}/faqarticle/{faq_copy.pk}/working-copy/discard/",
        "faq_history": f"{admin}/faqarticle/{faq.pk}/history/",
        "faq_compare": f"{admin}/faqarticle/{faq.pk}/history/compare/"
        f"?from={versions[0].pk}&to={versions[-1].pk}",
        "faq_restore": f"{admin}/faqarticle/{draft_faq.pk}/history/"
        f"{reversion.models.Version.objects.get_for_object(draft_faq).get().pk}/",
        "symptoms": f"{admin}/symptom/",
        "symptom": f"{admin}/symptom/{draft.symptoms.get().pk}/change/",
        "symptom_add": f"{admin}/symptom/add/",
        "symptom_history": f"{admin}/symptom/{draft.symptoms.get().pk}/history/",
        "searches": f"{admin}/searchcount/?days=30",
        "search_synonym": f"{admin}/searchcount/synonym/?words=occipital+neuralgia",
        "promoted_results": f"{admin}/promotedresult/",
        "promoted_result_add": f"{admin}/promotedresult/add/?query=whiplash",
        "feedback": f"{admin}/pagefeedback/",
        "feedback_pages": f"{admin}/pagefeedback/pages/",
        "not_found": f"{admin}/no-such-page/",
        "audit_refused": f"{admin}/auditevent/",
    }


# Pages whose screenshots a person looks at (the others are saved only when too wide).
LOOKED_AT = {"conditions", "condition_draft", "faq_working_copy", "faq_history", "searches"}


def save_whole_page(driver, path) -> None:
    """A screenshot of the whole page, not only the part in the window."""
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def page_size(driver) -> dict:
    return driver.execute_script(
        "const root = document.documentElement;"
        "return {scroll: root.scrollWidth, window: root.clientWidth,"
        " height: root.scrollHeight};"
    )


def too_wide(driver) -> list[str]:
    """The elements that stick out past the window's right edge (for the failure message)."""
    return driver.execute_script(
        """
        const edge = document.documentElement.clientWidth;
        return [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > edge + 1 && e.offsetParent !== null)
          .filter((e) => ![...e.children].some((c) => c.getBoundingClientRect().right > edge + 1))
          .slice(0, 8)
          .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${[...e.classList].join('.')}`
                      + ` (right edge ${Math.round(e.getBoundingClientRect().right)})`);
        """
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_every_admin_page_an_editor_reaches_fits_the_window(browser, live_server, viewport):
    pages = editors_pages()
    use_viewport(browser, VIEWPORTS[viewport])
    signed_in(browser, live_server, make_staff("ed", "Editor", "Ed Writer"))
    SCREENSHOTS.mkdir(exist_ok=True)

    overflowing = {}
    for name, path in pages.items():
        browser.get(live_server.url + path)
        assert browser.find_elements(By.ID, "content"), f"{name}: no admin page at {path}"
        size = page_size(browser)
        if name in LOOKED_AT:
            browser.save_screenshot(str(SCREENSHOTS / f"admin-{name}-{viewport}.png"))
            for group in browser.find_elements(By.ID, "sources-group"):
                browser.execute_script("arguments[0].scrollIntoView()", group)
                browser.save_screenshot(str(SCREENSHOTS / f"admin-{name}-sources-{viewport}.png"))
        if size["scroll"] > size["window"]:
            overflowing[name] = (size["scroll"], too_wide(browser))
            browser.save_screenshot(str(SCREENSHOTS / f"admin-too-wide-{name}-{viewport}.png"))

    assert not overflowing, "\n".join(
        f"{name}: {width} px wide in a {VIEWPORTS[viewport]['width']} px window: {culprits}"
        for name, (width, culprits) in overflowing.items()
    )


def test_the_seed_faqs_working_copy_form_is_short(browser, live_server):
    """The seed FAQ's form was 8,200 px tall (each question's answer open in full): its
    questions are collapsed to their wording, to open one at a time. About half that is left
    (4,190 px with the preview links and the kept-text notice above the form)."""
    pages = editors_pages()
    signed_in(browser, live_server, make_staff("ed", "Editor", "Ed Writer"))
    SCREENSHOTS.mkdir(exist_ok=True)

    browser.get(live_server.url + pages["faq_working_copy"])
    height = page_size(browser)["height"]
    save_whole_page(browser, SCREENSHOTS / "admin-seed-faq-working-copy-desktop.png")

    questions = Article.objects.get(pk=pages["faq_working_copy"].split("/")[-3]).specific().items
    assert questions.count() >= 5
    assert height < 4500, f"The seed FAQ's form is {height} px tall"


def questions_in_order(faq) -> list[str]:
    return list(faq.items.order_by("position", "id").values_list("question", flat=True))


def summaries(driver) -> list[str]:
    """The saved questions' wording as the form shows them, top to bottom."""
    selector = "#items-group .has_original .faq-question__text"
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, selector)]


def test_an_editor_reorders_questions_by_keyboard_and_by_dragging_and_the_order_is_saved(
    browser, live_server
):
    editor = make_staff("ed", "Editor", "Ed Writer")
    faq = make_faq(
        "Neck clicking",
        [(f"Question {letter}?", f"Answer {letter}.") for letter in "ABCD"],
        ["Neck pain"],
        status=DRAFT,
    )
    signed_in(browser, live_server, editor)
    browser.get(f"{live_server.url}/admin/conditions/faqarticle/{faq.pk}/change/")
    assert summaries(browser) == ["Question A?", "Question B?", "Question C?", "Question D?"]
    # With script, the numbers are kept in step out of sight.
    assert not browser.find_element(By.NAME, "items-0-position").is_displayed()

    # From the keyboard: the focused "up" button of question C, pressed with Enter.
    up = browser.find_element(By.CSS_SELECTOR, "button[aria-label='Move “Question C?” up']")
    browser.execute_script("arguments[0].focus()", up)
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    assert summaries(browser) == ["Question A?", "Question C?", "Question B?", "Question D?"]
    status = browser.find_element(By.CSS_SELECTOR, "#items-group [role=status]")
    assert status.get_attribute("textContent") == "“Question C?” moved to place 2 of 4."
    assert browser.switch_to.active_element == up  # focus stays, to press again

    # By dragging: question D's handle, dropped on the first question.
    handle = browser.find_elements(By.CSS_SELECTOR, "#items-group .reorder-handle")[3]
    first = browser.find_elements(By.CSS_SELECTOR, "#items-group .faq-question > summary")[0]
    ActionChains(browser).click_and_hold(handle).move_to_element_with_offset(
        first, 0, -5
    ).release().perform()
    assert summaries(browser) == ["Question D?", "Question A?", "Question C?", "Question B?"]

    browser.find_element(By.NAME, "_continue").click()
    WebDriverWait(browser, 10).until(
        lambda driver: "was changed successfully" in driver.page_source
    )
    assert questions_in_order(faq) == ["Question D?", "Question A?", "Question C?", "Question B?"]
    # And the form shows them so again.
    assert summaries(browser) == ["Question D?", "Question A?", "Question C?", "Question B?"]


def changed_pages() -> dict[str, str]:
    """The admin pages this layout and wording changed, for a medical reviewer (who also
    reaches the delete screens)."""
    pages = editors_pages()
    draft_pk = pages["condition_draft"].split("/")[-3]
    return {
        name: pages[name]
        for name in [
            "condition_draft",
            "faq_working_copy",
            "faq_draft",
            "faq_history",
            "condition_recover_list",
            "condition_recover",
            "faq_restore",
            "not_found",
        ]
    } | {
        "condition_delete": f"/admin/conditions/conditionarticle/{draft_pk}/delete/",
        "symptom_delete": pages["symptom"].replace("/change/", "/delete/"),
        "refused": pages["audit_refused"],  # last: signed in as an editor
    }


# Problems in markup Django's admin makes, which we don't render, each with where it is:
# - the symptoms box is Django's autocomplete widget (select2): its search box is made by
#   script without a label, and its chosen symptoms are <li>s in a <ul> with a button beside;
# - a tabular inline's heading row has an empty cell above each row's "original" text.
DJANGOS_OWN_MARKUP = {
    "label": ".select2-container",
    "list": ".select2-container",
    "empty-table-header": ".tabular th.original",
}


def in_djangos_own_markup(driver, violation: dict, node: dict) -> bool:
    """Whether this violation is one of DJANGOS_OWN_MARKUP's, on the element named there."""
    where = DJANGOS_OWN_MARKUP.get(violation["id"])
    if where is None or len(node["target"]) != 1:
        return False
    return driver.execute_script(
        "const element = document.querySelector(arguments[0]);"
        "return !!(element && element.closest(arguments[1]));",
        node["target"][0],
        where,
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_changed_admin_pages_have_no_accessibility_violations(browser, live_server, viewport):
    pages = changed_pages()
    use_viewport(browser, VIEWPORTS[viewport])
    signed_in(browser, live_server, make_staff("rita", "Medical reviewer", "Rita Okafor"))

    found = {}
    for name, path in pages.items():
        if name == "refused":  # the "not allowed" page, as an editor sees it
            signed_in(browser, live_server, make_staff("ed", "Editor", "Ed Writer"))
        browser.get(live_server.url + path)
        violations = [
            violation
            for violation in axe_violations(browser)
            if not all(
                in_djangos_own_markup(browser, violation, node) for node in violation["nodes"]
            )
        ]
        if violations:
            found[name] = describe_violations(violations)
    assert not found, "\n\n".join(f"{name}:\n{report}" for name, report in found.items())


def assert_fits(browser, name: str, viewport: str) -> None:
    size = page_size(browser)
    if size["scroll"] > size["window"]:
        browser.save_screenshot(str(SCREENSHOTS / f"admin-too-wide-{name}-{viewport}.png"))
    assert size["scroll"] <= size["window"], (
        f"{name}: {size['scroll']} px wide in a {size['window']} px window: {too_wide(browser)}"
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_screens_only_a_reviewer_reaches_fit_the_window_and_pass_axe(
    browser, live_server, viewport
):
    pages = editors_pages()
    copy = pages["faq_working_copy"].removesuffix("change/")
    reviewer_pages = {
        "audit_log": "/admin/conditions/auditevent/",
        "condition_delete": pages["condition_draft"].replace("/change/", "/delete/"),
        "symptom_delete": pages["symptom"].replace("/change/", "/delete/"),
        "copy_publish": f"{copy}working-copy/publish/",
    }
    use_viewport(browser, VIEWPORTS[viewport])
    signed_in(browser, live_server, make_staff("rita", "Medical reviewer", "Rita Okafor"))
    SCREENSHOTS.mkdir(exist_ok=True)
    for name, path in reviewer_pages.items():
        browser.get(live_server.url + path)
        assert browser.find_elements(By.ID, "content"), f"{name}: no admin page at {path}"
        assert "Your account may not" not in browser.page_source, name
        assert_fits(browser, name, viewport)
    browser.save_screenshot(str(SCREENSHOTS / f"admin-copy-publish-{viewport}.png"))

    # The list's "Delete selected" and "Merge" screens, reached as a reviewer does.
    for action in ["delete_selected", "merge_selected"]:
        browser.get(live_server.url + "/admin/conditions/symptom/?q=neck")
        for box in browser.find_elements(By.CSS_SELECTOR, "input.action-select")[:2]:
            browser.execute_script("arguments[0].click()", box)
        Select(browser.find_element(By.NAME, "action")).select_by_value(action)
        browser.find_element(By.CSS_SELECTOR, "button[name=index], .actions button").click()
        # The confirmation page, once it has replaced the list.
        WebDriverWait(browser, 10).until(
            lambda driver: driver.find_elements(
                By.CSS_SELECTOR, "form input[name=post], #merge-form"
            ),
            action,
        )
        assert_fits(browser, action, viewport)
        assert not axe_violations(browser), describe_violations(axe_violations(browser))
        browser.save_screenshot(str(SCREENSHOTS / f"admin-symptoms-{action}-{viewport}.png"))


def test_an_editor_moves_a_source_from_the_keyboard_and_adds_one_at_the_end(browser, live_server):
    editor = make_staff("ed", "Editor", "Ed Writer")
    article = make_condition("Whiplash", ["Neck pain"], status=DRAFT)
    for number, title in enumerate(["NHS", "NICE", "BMJ"], start=1):
        Source.objects.create(article=article, title=title, position=number)
    signed_in(browser, live_server, editor)
    browser.get(f"{live_server.url}/admin/conditions/conditionarticle/{article.pk}/change/")

    down = browser.find_element(By.CSS_SELECTOR, "button[aria-label='Move “NHS” down']")
    browser.execute_script("arguments[0].focus()", down)
    ActionChains(browser).send_keys(Keys.SPACE).perform()
    # A row added and then removed again (Django renumbers the rows left) changes nothing.
    add = browser.find_element(By.CSS_SELECTOR, "#sources-group .add-row a")
    browser.execute_script("arguments[0].click()", add)
    browser.execute_script("arguments[0].click()", add)
    removers = browser.find_elements(By.CSS_SELECTOR, "#sources-group .inline-deletelink")
    browser.execute_script("arguments[0].click()", removers[-1])
    title_boxes = browser.find_elements(By.CSS_SELECTOR, "#sources-group input[name$='-title']")
    title_boxes[-2].send_keys("Cochrane")  # the row added (the last is "Add another"'s model)
    browser.find_element(By.NAME, "_continue").click()
    WebDriverWait(browser, 10).until(
        lambda driver: "was changed successfully" in driver.page_source
    )

    assert list(article.sources.order_by("position", "id").values_list("title", flat=True)) == [
        "NICE",
        "NHS",
        "BMJ",
        "Cochrane",
    ]
