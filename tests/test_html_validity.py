"""Every public page type is valid HTML (the Nu HTML Checker) and carries the JSON-LD it should,
which parses.

The pages are fetched once per module with the test client and checked in one run of the
checker: the Java program takes seconds to start, and then checks a dozen pages in no time.
"""

import json
import re
import shutil
import subprocess

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from conditions.models import Article, ConditionArticle, ConditionName
from tests.browser import INSTALL_NODE_TOOLS, NODE_MODULES
from tests.factories import make_condition, make_faq, make_image

# The pages' content is made once for the module (see `pages`); the mark makes sure the test
# database exists and that nothing reaches the development database.
pytestmark = pytest.mark.django_db

VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"

# Each page type readers can reach, as the address to fetch and the status it answers with.
PAGES = {
    "home": ("/", 200),
    "condition_list": ("/conditions/", 200),
    "condition": ("/conditions/cervical-spondylosis/", 200),
    "condition_with_images": ("/conditions/whiplash/", 200),
    "faq_list": ("/faqs/", 200),
    "faq": ("/faqs/neck-spasms/", 200),
    "symptom_list": ("/symptoms/", 200),
    "symptom": ("/symptoms/neck-pain/", 200),
    "narrowed_symptom": ("/symptoms/neck-pain/?with=neck-stiffness&with=dizziness", 200),
    "narrowed_to_nothing": ("/symptoms/headache/?with=muscle-spasm", 200),
    "further_symptoms": ("/symptoms/neck-pain/further-symptoms/?with=dizziness", 200),
    "search_form": ("/search/", 200),
    "search_results": ("/search/?q=stiff+neck", 200),
    "search_did_you_mean": ("/search/?q=whiplsh", 200),
    "search_no_results": ("/search/?q=zzzz", 200),
    "search_no_results_with_filters": ("/search/?q=whiplash&type=faq", 200),
    "not_found": ("/no-such-page/", 404),
}
SERVER_ERROR = "server_error"
# The page a reader's "Is this page useful?" answer leads to without script (a POST).
FEEDBACK_ANSWER = "feedback_answer"

JSON_LD = re.compile(
    r"<script[^>]*\btype=[\"']application/ld\+json[\"'][^>]*>(.*?)</script>", re.S | re.I
)


def make_content() -> None:
    make_condition(
        "Cervical spondylosis",
        ["Neck pain", "Neck stiffness", "Dizziness"],
        summary="Age-related wear of the neck's bones and discs: a stiff neck that aches.",
        body=(
            "## What it is\n\nWear and tear of the spine in your neck, which makes it stiff.\n\n"
            "## What you can do\n\nKeep moving gently. See [the NHS](https://www.nhs.uk/).\n\n"
            "## How long it lasts\n\nFlare-ups usually settle within a few weeks.\n\n"
            "| Sign | Meaning |\n| --- | --- |\n| Stiffness | Common |"
        ),
        when_to_get_medical_help="See a GP if the pain lasts more than **two weeks**.",
        condition_name="Cervical spondylosis",
    )
    # The conditions A–Z's "see" entry and a condition a section explains.
    spondylosis = ConditionArticle.objects.get(slug="cervical-spondylosis")
    ConditionName.objects.create(article=spondylosis, name="Neck arthritis")
    ConditionName.objects.create(article=spondylosis, name="Neck stiffness", section="what-it-is")
    # Library images: a lead image (on its page, its card and link previews) and three in
    # the text, one inside a sentence and one in a list.
    diagrams = [make_image(alt, caption=f"{alt}.", credit="NHS") for alt in ("A", "B", "C", "D")]
    make_condition(
        "Whiplash",
        ["Neck pain", "Headache", "Dizziness"],
        body=(
            f'## Symptoms\n\n![Side view](image:{diagrams[0].pk} "large")\n\n- Neck pain\n'
            f'- Stiffness ![](image:{diagrams[1].pk} "small right")\n\n> Most people feel '
            f'better in weeks. ![A jolt](image:{diagrams[2].pk} "medium left") Rest.'
        ),
        lead_image=diagrams[3],
    )
    make_faq(
        "Neck spasms",
        [
            ("Why does my neck keep spasming?", "Usually a **strain** of the muscles."),
            ("Can stress cause neck spasms?", "Yes: tense muscles can go into spasm."),
        ],
        ["Neck pain", "Muscle spasm"],
    )


@pytest.fixture(scope="module")
def pages(django_db_setup, django_db_blocker) -> dict[str, str]:
    """The HTML of every page type, keyed by name; the content is rolled back afterwards."""
    html = {}
    cache.clear()  # public pages are cached: these must be rendered from this content
    with django_db_blocker.unblock(), transaction.atomic():
        make_content()
        client = Client()
        for name, (path, status) in PAGES.items():
            response = client.get(path)
            assert response.status_code == status, f"{path} answered {response.status_code}"
            html[name] = response.content.decode()
        whiplash = Article.objects.get(slug="whiplash")
        answered = client.post(f"/feedback/{whiplash.pk}/", {"useful": "no"})
        html[FEEDBACK_ANSWER] = answered.content.decode()
        request = RequestFactory().get("/")
        html[SERVER_ERROR] = server_error(request).content.decode()
        transaction.set_rollback(True)
    cache.clear()
    return html


@pytest.fixture(scope="module")
def checker_errors(pages, tmp_path_factory) -> dict[str, list[dict]]:
    """The Nu HTML Checker's errors for each page, from one run over all of them."""
    if not shutil.which("java"):
        pytest.skip("Java is not installed: apt-get install -y default-jre-headless")
    if not VNU_JAR.exists():
        pytest.skip(INSTALL_NODE_TOOLS.format("node_modules/vnu-jar"))
    folder = tmp_path_factory.mktemp("html")
    files = {}
    for name, html in pages.items():
        files[name] = folder / f"{name}.html"
        files[name].write_text(html, encoding="utf-8")
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout"]
        + [str(path) for path in files.values()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        messages = json.loads(result.stdout)["messages"]
    except (json.JSONDecodeError, KeyError) as error:
        raise AssertionError(
            f"The checker gave no report:\n{result.stdout}{result.stderr}"
        ) from error
    errors = {name: [] for name in pages}
    by_file = {path.resolve().as_uri(): name for name, path in files.items()}
    for message in messages:
        # The checker names files as file:/tmp/...; compare without the slashes' spelling.
        name = by_file.get(message.get("url", "").replace("file:/", "file:///", 1))
        errors.setdefault(name or message.get("url", "?"), []).append(message)
    return errors


def describe(errors: list[dict], html: str) -> str:
    lines = html.splitlines()
    described = []
    for error in errors:
        line = error.get("lastLine")
        described.append(f"line {line}: {error.get('message')}")
        if error.get("extract"):
            described.append(f"    {error['extract'].strip()}")
        elif line and line <= len(lines):
            described.append(f"    {lines[line - 1].strip()[:200]}")
    return "\n".join(described)


@pytest.mark.parametrize("page", [*PAGES, SERVER_ERROR, FEEDBACK_ANSWER])
def test_page_is_valid_html(checker_errors, pages, page):
    errors = checker_errors[page]
    assert not errors, f"The Nu HTML Checker found errors in the {page} page:\n" + describe(
        errors, pages[page]
    )


def test_checker_reported_on_no_unknown_file(checker_errors, pages):
    unexpected = {name: errors for name, errors in checker_errors.items() if name not in pages}
    assert not unexpected, f"Messages about files that aren't pages: {unexpected}"


# The schema.org types of the JSON-LD blocks each page carries, in the page's order (see the
# templates' `structured_data` blocks): an article page describes itself, list and symptom
# pages their breadcrumb trail; search, error and home pages carry none.
JSON_LD_TYPES = {
    "home": [],
    "condition_list": ["BreadcrumbList"],
    "condition": ["MedicalWebPage"],
    "condition_with_images": ["MedicalWebPage"],
    "faq_list": ["BreadcrumbList"],
    "faq": ["FAQPage"],
    "symptom_list": ["BreadcrumbList"],
    "symptom": ["BreadcrumbList"],
    "narrowed_symptom": ["BreadcrumbList"],
    "narrowed_to_nothing": ["BreadcrumbList"],
    "further_symptoms": [],  # a way of narrowing a symptom page, not indexed
    "search_form": [],
    "search_results": [],
    "search_did_you_mean": [],
    "search_no_results": [],
    "search_no_results_with_filters": [],
    "not_found": [],
    SERVER_ERROR: [],
    FEEDBACK_ANSWER: [],
}


@pytest.mark.parametrize("page", [*PAGES, SERVER_ERROR, FEEDBACK_ANSWER])
def test_page_json_ld_parses(pages, page):
    types = []
    for block in JSON_LD.findall(pages[page]):
        try:
            data = json.loads(block)
        except json.JSONDecodeError as error:
            raise AssertionError(
                f"JSON-LD on the {page} page doesn't parse: {error}\n{block}"
            ) from error
        assert isinstance(data, dict), f"JSON-LD on the {page} page is {data!r}"
        types.append(data.get("@type"))
    assert types == JSON_LD_TYPES[page], f"JSON-LD types on the {page} page"
