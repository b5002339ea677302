"""The media library in a real browser: an editor uploads a diagram through the admin's form
and sees its thumbnail and preview (served by the app from its renditions), with no
accessibility violations; and a phone picks a sharp AVIF rendition from `picture_html()`'s
markup, with the space for it kept before it loads."""

import pytest
from django.conf import settings
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conditions import images
from conditions.models import Image, Rendition
from tests.browser import PHONE, assert_no_axe_violations, signed_in, use_viewport
from tests.factories import make_image, make_staff, picture_bytes

pytest_plugins = ["tests.browser"]  # the `chromium` and `browser` fixtures

SCREENSHOTS = settings.BASE_DIR / "screenshots"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _loaded(browser, selector: str) -> int:
    """The natural width of the first image matching `selector`, once it has loaded (0 if it
    could not be)."""
    return browser.execute_async_script(
        """
        const [selector, done] = arguments;
        const img = document.querySelector(selector);
        img.loading = "eager";
        if (img.complete) return done(img.naturalWidth);
        img.addEventListener("load", () => done(img.naturalWidth));
        img.addEventListener("error", () => done(0));
        """,
        selector,
    )


def test_an_editor_uploads_a_diagram_and_sees_it_in_the_library(
    browser, live_server, media, tmp_path
):
    SCREENSHOTS.mkdir(exist_ok=True)
    diagram = tmp_path / "neck-diagram.png"
    diagram.write_bytes(picture_bytes(1400, 1000, "PNG"))
    signed_in(browser, live_server, make_staff("ed", "Editor", "Ed Writer"))

    browser.get(live_server.url + "/admin/conditions/image/add/")
    browser.find_element(By.NAME, "upload").send_keys(str(diagram))
    browser.find_element(By.NAME, "alt_text").send_keys(
        "Diagram of the neck from behind, showing the occipital nerves"
    )
    browser.find_element(By.NAME, "caption").send_keys("The occipital nerves <run upwards>")
    browser.find_element(By.NAME, "focal_x").send_keys("0.5")
    browser.find_element(By.NAME, "focal_y").send_keys("0.3")
    assert_no_axe_violations(browser)
    browser.save_screenshot(str(SCREENSHOTS / "image-library-add.png"))
    browser.find_element(By.NAME, "_save").click()

    # The save answers once the renditions are made (seconds on a busy machine): the test
    # must not look at the page, or end and empty the database, before it has.
    message = WebDriverWait(browser, 60).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, ".messagelist")
    )
    assert "was added successfully" in message[0].text
    image = Image.objects.get()
    assert (image.width, image.height) == (1400, 1000)
    # Made on commit of the upload, by the server's own request.
    assert Rendition.objects.filter(image=image, format="avif").count() == 5
    thumbnail = "#result_list img[alt^='Diagram of the neck']"
    assert _loaded(browser, thumbnail) == 320
    assert_no_axe_violations(browser)
    browser.save_screenshot(str(SCREENSHOTS / "image-library-list.png"))

    browser.find_element(By.PARTIAL_LINK_TEXT, "Diagram of the neck from behind").click()
    WebDriverWait(browser, 10).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, ".field-preview img")
    )
    assert _loaded(browser, ".field-preview img") == 640
    assert "Not used in any article yet." in browser.find_element(By.ID, "where-used").text
    # A click on the subject sets the focal point (the numbers work without the script).
    preview = browser.find_element(By.CSS_SELECTOR, ".field-preview img")
    width, height = preview.size["width"], preview.size["height"]
    ActionChains(browser).move_to_element_with_offset(
        preview, -width // 4, height // 4
    ).click().perform()
    assert browser.find_element(By.NAME, "focal_x").get_attribute("value") == "0.25"
    assert browser.find_element(By.NAME, "focal_y").get_attribute("value") == "0.75"
    assert browser.find_element(By.CSS_SELECTOR, ".focal-point__mark").is_displayed()
    assert_no_axe_violations(browser)
    browser.save_screenshot(str(SCREENSHOTS / "image-library-change.png"))
    browser.find_element(By.NAME, "_save").click()
    WebDriverWait(browser, 10).until(
        lambda driver: "was changed successfully" in driver.page_source
    )
    image.refresh_from_db()
    assert (image.focal_x, image.focal_y) == (0.25, 0.75)


def test_a_phone_gets_a_sharp_avif_with_its_space_kept(browser, live_server, media):
    image = make_image("Diagram of the neck", picture_bytes(2400, 1600, "JPEG"), caption="Neck")
    markup = str(images.picture_html(image, size="large", lazy=False))
    use_viewport(browser, PHONE)  # 390 CSS pixels at 3 device pixels each
    browser.get(live_server.url + "/robots.txt")  # a page of the site: /media/ is its own
    # Laid out with the site's stylesheet, before the image itself has loaded: the box
    # already has the picture's proportions (no layout shift).
    box = browser.execute_async_script(
        """
        const [markup, done] = arguments;
        document.documentElement.innerHTML =
          '<head><meta name="viewport" content="width=device-width, initial-scale=1">' +
          '<link rel="stylesheet" href="/static/css/site.css"></head>' +
          '<body><main class="wrap"><article class="article prose">' + markup +
          '</article></main></body>';
        const link = document.querySelector("link");
        link.addEventListener("load", () => {
          const r = document.querySelector("figure img").getBoundingClientRect();
          done([r.width, r.height]);
        });
        """,
        markup,
    )
    assert _loaded(browser, "figure img") > 0
    chosen = browser.execute_script("return document.querySelector('figure img').currentSrc")
    browser.save_screenshot(str(SCREENSHOTS / "image-picture-phone.png"))

    assert chosen.endswith(".avif"), chosen
    # 358 CSS pixels wide at 3 device pixels: the 1280 or 1920 rendition, never a blurry one.
    assert chosen.split("-")[-1] in ("1280.avif", "1920.avif"), chosen
    assert abs(box[0] - 358) < 2 and abs(box[1] - 358 * 1600 / 2400) < 2, box
