"""Images in articles in a real browser (Chromium): on a phone, a condition page with a lead
image and three diagrams loads them sharp, in a modern format, without moving the text, and
axe-core finds nothing wrong; an editor places an image with the keyboard alone."""

import base64
import io
import re

import pypdf
import pytest
from django.conf import settings
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.support.wait import WebDriverWait

from conditions.models import Article
from tests.browser import PHONE, assert_no_axe_violations, signed_in, use_viewport
from tests.factories import make_condition, make_image, make_staff, picture_bytes, roles

pytest_plugins = ["tests.browser"]  # the `chromium` and `browser` fixtures

SCREENSHOTS = settings.BASE_DIR / "screenshots"


@pytest.fixture
def illustrated_article():
    lead = make_image("Where the occipital nerves run", content=picture_bytes(1600, 900, "JPEG"))
    side, disc, desk = (
        make_image(alt, content=picture_bytes(1200, 800, "JPEG"), caption=caption, credit="NHS")
        for alt, caption in [
            ("Side view of the neck", "The seven bones of the neck."),
            ("A bulging disc pressing on a nerve", "A disc between two bones."),
            ("A desk set up for good posture", "Screen at eye level."),
        ]
    )  # fmt: skip
    body = (
        "Pain at the base of the skull often comes from the nerves that run up the back "
        "of the head.\n\n"
        f'![](image:{side.pk} "large")\n\n'
        "## Causes\n\n" + "Tight muscles can press on the nerves. " * 12 + "\n\n"
        f'![](image:{disc.pk} "medium right")\n\n'
        + "A disc that bulges can press on a nerve root. " * 12
        + "\n\n## What you can do\n\n"
        + "Take breaks from the screen. " * 12
        + f'\n\n![](image:{desk.pk} "small left")\n\n'
        + "Sit with your back supported. " * 12
    )
    return make_condition(
        "Occipital neuralgia",
        ["Headache"],
        body=body,
        lead_image=lead,
        when_to_get_medical_help="- the pain lasts more than a few weeks",
    )


def wait_until(driver, script: str, timeout: float = 15):
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


def test_a_phone_gets_sharp_images_without_layout_shift_and_axe_finds_nothing(
    browser, live_server, illustrated_article
):
    use_viewport(browser, PHONE)
    # Count every layout shift from the first paint on (buffered: those before this script).
    browser.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {
            "source": "window.__shifts = 0; new PerformanceObserver((list) => {"
            " for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts += e.value;"
            " }).observe({type: 'layout-shift', buffered: true});"
        },
    )
    browser.get(live_server.url + illustrated_article.get_absolute_url())
    wait_until(browser, "return document.readyState === 'complete'")
    # Scroll down the page slowly, as a reader does, so the lazy images load too.
    height = browser.execute_script("return document.body.scrollHeight")
    for offset in range(0, height, 400):
        browser.execute_script(f"window.scrollTo(0, {offset})")
    wait_until(
        browser,
        "return [...document.querySelectorAll('main img')]"
        ".every(image => image.complete && image.naturalWidth)",
    )
    browser.execute_script("window.scrollTo(0, 0)")

    pictures = browser.execute_script(
        """return [...document.querySelectorAll('main figure img')].map(i => ({
            alt: i.alt, src: i.currentSrc, natural: i.naturalWidth, shown: i.clientWidth,
            width: i.getAttribute('width'), height: i.getAttribute('height'),
            loading: i.loading}))"""
    )
    assert [p["alt"] for p in pictures] == [
        "Where the occipital nerves run",
        "Side view of the neck",
        "A bulging disc pressing on a nerve",
        "A desk set up for good posture",
    ], pictures
    assert [p["loading"] for p in pictures] == ["eager", "lazy", "lazy", "lazy"], pictures
    for picture in pictures:
        assert picture["width"] and picture["height"], f"no size set: {picture}"
        # AVIF (or WebP) where the browser reads it, never the JPEG fallback.
        assert picture["src"].endswith((".avif", ".webp")), picture
        # Sharp on a screen of 3 device pixels per CSS pixel: the file chosen (its width is in
        # its name) has at least as many pixels as the screen shows, or is the largest there
        # is. (naturalWidth is in CSS pixels for an image chosen from a srcset.)
        chosen_width = int(re.search(r"-(\d+)\.\w+$", picture["src"])[1])
        largest = int(picture["width"])
        assert chosen_width >= min(picture["shown"] * 3, largest), picture
    shifts = browser.execute_script("return window.__shifts")
    assert shifts == 0, f"the page moved as it loaded (cumulative layout shift {shifts})"

    SCREENSHOTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "article-images-phone.png"))
    assert_no_axe_violations(browser)
    browser.execute_script(
        "document.querySelector('.prose figure:nth-of-type(2)').scrollIntoView()"
    )
    browser.save_screenshot(str(SCREENSHOTS / "article-images-phone-scrolled.png"))

    # Its card on the symptom's page carries the lead image's thumbnail.
    browser.get(live_server.url + "/symptoms/headache/")
    wait_until(browser, "return document.readyState === 'complete'")
    thumbnail = browser.find_element(By.CSS_SELECTOR, ".card .card__image img")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", thumbnail)
    wait_until(browser, "return document.querySelector('.card__image img').naturalWidth > 0")
    assert thumbnail.get_attribute("alt") == ""  # the card's title link says what it is
    browser.save_screenshot(str(SCREENSHOTS / "article-images-card-phone.png"))
    assert_no_axe_violations(browser)


def test_an_editor_places_an_image_with_the_keyboard_alone(browser, live_server):
    roles()
    editor = make_staff("edna", "Editor", "Edna Editor")
    make_image("Side view of the neck")
    make_image("A desk set up for good posture")
    article = make_condition(
        "Desk work", ["Neck pain"], status=Article.Status.DRAFT, body="First paragraph."
    )
    signed_in(browser, live_server, editor)
    browser.get(f"{live_server.url}/admin/conditions/conditionarticle/{article.pk}/change/")
    body = browser.find_element(By.ID, "id_body")
    body.click()
    body.send_keys(Keys.CONTROL, Keys.END)

    # From the field, Tab reaches its "Insert image" button; Enter opens the dialog.
    active = browser.switch_to.active_element
    active.send_keys(Keys.TAB)
    button = browser.switch_to.active_element
    assert button.text == "Insert image", button.get_attribute("outerHTML")
    button.send_keys(Keys.ENTER)
    wait_until(browser, "return document.getElementById('image-picker').open")
    search = browser.switch_to.active_element
    assert search.get_attribute("id") == "image-picker-search"
    search.send_keys("desk")
    wait_until(
        browser,
        "return document.querySelectorAll('#image-picker-results li').length === 1",
    )
    # Tab to the one result, choose it with Space, then Tab on to Insert.
    search.send_keys(Keys.TAB)
    choice = browser.switch_to.active_element
    assert choice.get_attribute("type") == "radio"
    choice.send_keys(Keys.SPACE)
    for _ in range(6):
        focused = browser.switch_to.active_element
        if focused.get_attribute("id") == "image-picker-size":
            break
        focused.send_keys(Keys.TAB)
    size = browser.switch_to.active_element
    size.send_keys("m")  # Medium
    size.send_keys(Keys.TAB)
    browser.switch_to.active_element.send_keys("r")  # Right, text beside it
    SCREENSHOTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "image-picker-dialog.png"))
    insert = browser.find_element(By.ID, "image-picker-insert")
    while browser.switch_to.active_element != insert:
        browser.switch_to.active_element.send_keys(Keys.TAB)
    insert.send_keys(Keys.ENTER)

    wait_until(browser, "return !document.getElementById('image-picker').open")
    # Focus goes back to the field (on the dialog's close event, which follows close()).
    wait_until(browser, "return document.activeElement.id === 'id_body'", timeout=5)
    value = body.get_attribute("value")
    assert value.startswith("First paragraph.\n\n![A desk set up for good posture](image:"), value
    assert value.endswith(' "medium right")'), value
    SCREENSHOTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "image-picker.png"))


def test_a_printed_handout_has_every_image_at_a_sensible_size(
    browser, live_server, illustrated_article
):
    browser.get(live_server.url + illustrated_article.get_absolute_url())
    wait_until(browser, "return document.readyState === 'complete'")

    # Printed straight away, before the reader scrolls: the lazy images are printed too.
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7  # A4, in centimetres
    pdf = base64.b64decode(browser.print_page(options))
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "article-images-handout.pdf").write_bytes(pdf)
    printed = sum(len(page.images) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert printed == 4, f"{printed} of the 4 images are in the printed handout"

    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    browser.execute_script("document.querySelector('.prose figure').scrollIntoView()")
    browser.save_screenshot(str(SCREENSHOTS / "article-images-print.png"))
    figures = browser.execute_script(
        """return [...document.querySelectorAll('main figure')].map(figure => ({
            height: figure.querySelector('img').getBoundingClientRect().height,
            breakInside: getComputedStyle(figure).breakInside,
            caption: (figure.querySelector('figcaption') || {}).innerText || ''}))"""
    )
    # At most 8 cm tall (302 CSS pixels), each figure kept whole with its caption.
    assert len(figures) == 4, figures
    assert all(0 < figure["height"] <= 8 / 2.54 * 96 + 0.5 for figure in figures), figures
    assert {figure["breakInside"] for figure in figures} == {"avoid"}, figures
    assert "A disc between two bones. — NHS" in [figure["caption"] for figure in figures]


def click_button(browser, text: str) -> None:
    browser.find_element(By.XPATH, f"//button[normalize-space()='{text}']").click()


def test_an_editor_uploads_a_diagram_places_it_and_a_reviewer_publishes_it(
    browser, live_server, tmp_path
):
    roles()
    editor = make_staff("edna", "Editor", "Edna Editor")
    reviewer = make_staff("rita", "Medical reviewer", "Rita Reviewer")
    article = make_condition(
        "Tension headache",
        ["Headache"],
        status=Article.Status.DRAFT,
        body="Tight muscles at the back of the neck can cause it.",
        when_to_get_medical_help="- it keeps coming back",
        reviewed_by="Dr Rita Reviewer, MRCGP",
    )
    change_url = f"{live_server.url}/admin/conditions/conditionarticle/{article.pk}/change/"
    diagram = tmp_path / "neck-muscles.jpg"
    diagram.write_bytes(picture_bytes(1600, 1000, "JPEG"))

    # The editor uploads the diagram to the library with its alt text…
    signed_in(browser, live_server, editor)
    browser.get(f"{live_server.url}/admin/conditions/image/add/")
    browser.find_element(By.NAME, "upload").send_keys(str(diagram))
    browser.find_element(By.NAME, "alt_text").send_keys("The muscles at the back of the neck")
    browser.find_element(By.NAME, "_save").click()
    # The save answers once its renditions are made: seconds on a busy machine.
    wait_until(browser, "return location.pathname.endsWith('/admin/conditions/image/')", 60)

    # …places it in the article with the dialog, and submits the article for review.
    browser.get(change_url)
    browser.find_element(By.ID, "id_body").send_keys(Keys.CONTROL, Keys.END)
    browser.find_element(By.CSS_SELECTOR, "#id_body + .image-picker-open").click()
    browser.find_element(By.ID, "image-picker-search").send_keys("muscles")
    wait_until(browser, "return document.querySelectorAll('#image-picker-results li').length === 1")
    browser.find_element(By.CSS_SELECTOR, "#image-picker-results input").click()
    browser.find_element(By.ID, "image-picker-insert").click()
    status = browser.find_element(By.ID, "id_status")
    status.send_keys("In review")
    browser.find_element(By.NAME, "_continue").click()
    wait_until(browser, "return !!document.querySelector('.messagelist')")

    # A medical reviewer signs it off and approves it.
    browser.delete_all_cookies()
    signed_in(browser, live_server, reviewer)
    browser.get(change_url)
    click_button(browser, "Sign off this content as reviewed today")
    wait_until(browser, "return document.body.innerText.includes('You signed off')")
    click_button(browser, "Approve and publish")
    wait_until(browser, "return document.body.innerText.includes('approved and published')")

    # A reader on a phone sees the diagram, sharp, in a modern format.
    browser.delete_all_cookies()
    use_viewport(browser, PHONE)
    browser.get(live_server.url + article.get_absolute_url())
    wait_until(browser, "return document.readyState === 'complete'")
    picture = browser.execute_script(
        "const i = document.querySelector('.prose figure img');"
        "return {alt: i.alt, src: i.currentSrc, loaded: i.complete && i.naturalWidth > 0}"
    )
    assert picture["alt"] == "The muscles at the back of the neck", picture
    assert picture["loaded"] and picture["src"].endswith((".avif", ".webp")), picture
    assert int(re.search(r"-(\d+)\.\w+$", picture["src"])[1]) >= 960, picture  # 3× a phone
    browser.execute_script("document.querySelector('.prose figure').scrollIntoView()")
    browser.save_screenshot(str(SCREENSHOTS / "article-images-published-phone.png"))
