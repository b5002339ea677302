"""The printed page as a handout: two A4 pages at most, the urgent advice on page 1, the summary
once, symptoms as one line, full addresses after links, the page's address and a QR code of it
in the footer.

The print tests print the sample articles (as `make run` publishes them, tagged with the
shipped vocabulary) to PDF in Chromium and read each page's text with pypdf.
"""

import base64
import io
import os
from pathlib import Path

import pypdf
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions

from conditions.templatetags.neckinfo import qr_code
from tests.factories import make_condition, make_faq, make_symptom
from tests.seed_content import import_seed_articles, load_shipped_vocabulary

pytest_plugins = ["tests.browser"]  # the `chromium` and `browser` fixtures
pytestmark = pytest.mark.django_db

# Where the print tests leave their PDFs for a person to look at (as tests/test_browser.py does).
PRINT_OUTPUT = Path(__file__).resolve().parent.parent / "screenshots"


def printed_pages(driver, name: str) -> list[str]:
    """The current page printed on A4 by Chromium: the text of each page, spaces collapsed.
    The PDF is kept in screenshots/ as `name`.pdf."""
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7  # centimetres: A4
    pdf = base64.b64decode(driver.print_page(options))
    PRINT_OUTPUT.mkdir(exist_ok=True)
    partial = PRINT_OUTPUT / f"{name}.{os.getpid()}.part"  # the other `make test` pass may read
    partial.write_bytes(pdf)
    partial.replace(PRINT_OUTPUT / f"{name}.pdf")
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    # Words a line break split with a hyphen, or an address broken anywhere, read whole again;
    # the "ff" and "fi" ligatures as letters.
    return [
        " ".join(page.extract_text().replace("ﬀ", "ff").replace("ﬁ", "fi").split())
        for page in pages
    ]


def without_spaces(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def seed_articles():
    load_shipped_vocabulary()
    return import_seed_articles()


def test_printed_seed_articles_fit_two_pages_with_the_urgent_advice_on_page_one(
    browser, live_server, seed_articles
):
    condition, faq = seed_articles
    browser.get(live_server.url + condition.get_absolute_url())
    address = live_server.url + condition.get_absolute_url()
    # Each level the box names on screen ("Emergency: call 999", "Urgent: call 111").
    levels = [
        line.text.split(" or ")[0]
        for line in browser.find_elements(By.CSS_SELECTOR, ".help-now li")
    ]

    pages = printed_pages(browser, "handout-condition")

    assert len(pages) <= 2, f"the condition article prints on {len(pages)} pages"
    first = pages[0]
    assert "Get help now" in first and "Emergency: call 999" in levels
    for level in levels:
        assert level in first, f"{level!r} is not on page 1"
    if "Urgent: call 111" in levels:
        assert "111 online (https://111.nhs.uk/)" in first
    # "When to get medical help" starts with its first callout, after some of the article:
    # never a heading at the foot of a page, nor a page of its own.
    [care_page] = [page for page in pages if "When to get medical help" in page]
    before_care, after_heading = care_page.split("When to get medical help", 1)
    first_callout = ["NON-URGENT", "ADVICE:"], ["URGENT", "ADVICE:"], ["IMMEDIATE", "ACTION"]
    assert after_heading.split()[:2] in first_callout
    assert "What you can do" in before_care
    # The summary once; symptoms as one line; no in-page jump written out.
    text = " ".join(pages)
    assert text.count("Generally, stiffness and dizziness in the back of the neck") == 1
    assert "Symptoms: dizziness, muscle tension, fatigue, neck stiffness, neck pain," in first
    assert "#care-title" not in text
    # The footer: where the handout came from, on the last page (an address may break lines).
    assert f"NeckInfo·{address}" in without_spaces(pages[-1])

    browser.get(live_server.url + faq.get_absolute_url())
    faq_pages = printed_pages(browser, "handout-faq")
    assert len(faq_pages) <= 2, f"the FAQ prints on {len(faq_pages)} pages"
    assert "Emergency: call 999 or go to A&E" in faq_pages[0]


def test_printed_links_show_full_addresses_but_jumps_within_the_page_do_not(browser, live_server):
    make_condition("Whiplash")
    article = make_condition(
        "Cervical spondylosis",
        body=(
            "## Causes\n\nIt can follow [whiplash](/conditions/whiplash/) or "
            "[wear and tear](https://www.nhs.uk/conditions/cervical-spondylosis/).\n\n"
            "## More\n\nSee [the causes](#causes) above."
        ),
    )
    browser.get(live_server.url + article.get_absolute_url())

    text = without_spaces(" ".join(printed_pages(browser, "handout-links")))

    assert f"whiplash({live_server.url}/conditions/whiplash/)" in text
    assert "wearandtear(https://www.nhs.uk/conditions/cervical-spondylosis/)" in text
    assert "thecausesabove" in text and "#causes" not in text
    assert "Skiptomaincontent" not in text


# The same pages through the test client: what the templates send.


def main_of(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


@pytest.mark.parametrize(
    "body, text_after_the_lead",
    [
        (
            "A wry neck is twisted to one side. It is common. It usually gets better.",
            "<p>It usually",
        ),
        ("A wry neck is twisted to one side. It is common.\n\n## Causes\n\nSleep.", "<h2"),
    ],
    ids=["paragraph-goes-on", "paragraph-is-the-summary"],
)
def test_summary_shown_once_when_the_text_starts_by_repeating_it(client, body, text_after_the_lead):
    # As articles imported before the importer left the summary's sentences out of the body.
    article = make_condition(
        "Wry neck", summary="A wry neck is twisted to one side. It is common.", body=body
    )

    main = main_of(client.get(article.get_absolute_url()).content.decode())

    assert main.count("A wry neck is twisted to one side.") == 1
    assert '<p class="lead">A wry neck is twisted to one side. It is common.</p>' in main
    prose = main[main.index('<div class="prose">') :]
    assert prose.split(">", 1)[1].lstrip().startswith(text_after_the_lead)


def test_text_that_only_starts_like_the_summary_is_shown_whole(client):
    # A summary that stops mid-sentence: dropping its words would leave half a sentence.
    article = make_condition(
        "Wry neck",
        summary="A wry neck is twisted",
        body="A wry neck is twisted to one side & stiff.",
    )

    main = main_of(client.get(article.get_absolute_url()).content.decode())

    assert "<p>A wry neck is twisted to one side &amp; stiff.</p>" in main
    assert '<p class="lead">A wry neck is twisted</p>' in main


def test_symptoms_print_as_one_plain_line(client):
    make_symptom("TMJ pain")
    article = make_condition("Jaw ache", ["Neck pain", "TMJ pain", "Headache"])

    page = client.get(article.get_absolute_url()).content.decode()

    assert (
        '<p class="print-only symptoms-line"><strong>Symptoms:</strong> '
        "neck pain, TMJ pain, headache.</p>"
    ) in page


def test_printed_footer_has_the_page_address_and_its_qr_code(client):
    article = make_faq("Neck spasms", [("Why?", "Strain.")])
    address = f"http://testserver{article.get_absolute_url()}"

    page = client.get(article.get_absolute_url() + "?utm_source=leaflet").content.decode()

    footer = page[page.index('<footer class="print-footer">') :]
    footer = footer[: footer.index("</footer>")]
    assert f"<strong>NeckInfo</strong> · {address}</p>" in footer  # no query string
    qr = footer[footer.index('<div class="print-footer__qr" aria-hidden="true">') :]
    assert qr.count("<svg") == 1
    # The code is the address's: the same modules segno draws for it, and a different address
    # draws different ones.
    assert str(qr_code(address)) in qr
    assert str(qr_code(address + "x")) not in qr


def test_print_style_sheet_knows_the_site_address_for_internal_links(client, settings):
    settings.ALLOWED_HOSTS = ["neckinfo.example"]
    article = make_condition("Whiplash")

    page = client.get(article.get_absolute_url(), HTTP_HOST="neckinfo.example").content.decode()

    assert "--site-address: 'http://neckinfo.example';" in page
