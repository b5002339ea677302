"""Markdown from editors and imports becomes safe HTML, rendered once when saved; text that
would take Python-Markdown too long (or overflow the stack) is refused, and never rendered."""

import sys
from pathlib import Path

import markdown
import pytest
from django.conf import settings

from conditions.markdown import MAX_MARKDOWN_LENGTH, _rendered, markdown_problem, render_markdown
from conditions.models import Article
from tests.browser_forms import admin_change_form
from tests.factories import make_condition, make_faq

pytestmark = pytest.mark.django_db

HOSTILE = """
## Causes

<script>alert("body")</script>
<img src="x" onerror="alert('img')">
<a href="javascript:alert('link')" onclick="alert('click')">click me</a>
[markdown link](javascript:alert('md'))
[data link](data:text/html;base64,PHNjcmlwdD4=)
<iframe src="https://evil.example"></iframe>
<p style="position:fixed" onmouseover="x()">styled</p>
"""


def assert_harmless(html: str) -> None:
    lowered = html.lower()
    for danger in ["<script", "onerror", "onclick", "onmouseover", "javascript:", "data:",
                   "<iframe", "style="]:  # fmt: skip
        assert danger not in lowered, danger


def test_hostile_markdown_never_reaches_a_condition_page(client):
    article = make_condition("Whiplash", body=HOSTILE, when_to_get_medical_help=HOSTILE)

    page = client.get(article.get_absolute_url()).content.decode()

    assert_harmless(page.split('<div class="prose">')[1])
    assert "click me" in page and "styled" in page  # the words survive, the danger doesn't


def test_hostile_markdown_never_reaches_an_faq_page(client):
    faq = make_faq("Neck spasms", [("Is this safe?", HOSTILE)], intro=HOSTILE)

    page = client.get(faq.get_absolute_url()).content.decode()

    assert_harmless(page.split("<main")[1].split("</main>")[0])


def test_ordinary_markdown_keeps_its_formatting():
    html = render_markdown(
        "# Title\n\n## Poor posture\n\n- **Sit** up\n- [NHS](https://www.nhs.uk/)\n\n1. one\n2. two"
    )

    assert '<h2 id="title">Title</h2>' in html  # a level-one heading is demoted: one h1 a page
    assert '<h2 id="poor-posture">Poor posture</h2>' in html
    assert "<li><strong>Sit</strong> up</li>" in html
    assert '<a href="https://www.nhs.uk/" rel="noopener noreferrer">NHS</a>' in html
    assert "<ol>" in html


def test_markdown_is_rendered_when_saved_not_when_shown():
    article = make_condition("Whiplash", body="Some **bold** words.")

    assert article.body_html == "<p>Some <strong>bold</strong> words.</p>"
    article.body = "Now *italic*."
    article.save()
    article.refresh_from_db()
    assert article.body_html == "<p>Now <em>italic</em>.</p>"


# Limits: what would take Python-Markdown too long is refused, and never given to it.

SAMPLE_FOLDERS = [
    Path(settings.BASE_DIR) / "conditions" / "sample_content",
    Path(settings.BASE_DIR).parent / "shared" / "seeds",
]
SENTENCES = [
    "Most neck pain is caused by **muscle strain** or sleeping in an awkward position.",
    "It usually gets better on its own within *2 weeks*, and you can often treat it yourself.",
    "Keep moving your neck gently, because resting it for a long time can make it stiffer.",
    "You can take paracetamol or ibuprofen to ease the pain; ask a pharmacist which suits you.",
    "A heat pack or a warm bath can relax tight muscles (see [how to use heat safely]"
    "(https://www.nhs.uk/conditions/neck-pain/heat/)).",
    "Try not to carry heavy bags on one shoulder, and check your posture at your desk.",
    "Some people find that a lower, firmer pillow helps them sleep without waking up stiff.",
    "If the pain spreads down your arm, or you have pins and needles, tell your GP.",
]
SECTIONS = ["Causes", "Things you can try", "Treatment", "Exercises", "Work and sleep"]
SELF_CARE = [
    "keep active and carry on with your usual activities",
    "take **paracetamol** or **ibuprofen** if you need to",
    "use a heat pack or a hot water bottle wrapped in a towel",
    "sleep on a low, firm pillow",
    "check your posture when sitting at a desk or driving",
    "try [gentle neck stretches](https://www.nhs.uk/live-well/exercise/neck-exercises/)",
]


def long_nhs_style_article(sections: int = 6, references: int = 200) -> str:
    """An article written the way NHS condition pages are, long (33,000 characters as it
    stands): sections of paragraphs with bold text and links, lists, tables, numbered steps,
    when to get help, and a reference list of `references` links."""
    blocks = [
        "Neck pain is common and usually not serious. This page explains the **common "
        "causes**, what you can do yourself, and [when to get medical help](#when-to-get-help)."
    ]
    for number in range(sections):
        blocks.append(f"## {SECTIONS[number % len(SECTIONS)]} ({number + 1})")
        for paragraph in range(3):
            start = number + paragraph
            blocks.append(" ".join(SENTENCES[(start + i) % len(SENTENCES)] for i in range(4)))
        blocks.append("\n".join(f"- {item}" for item in SELF_CARE))
        if number % 3 == 0:
            rows = [
                "| Symptom | How long it lasts | What helps | When to see a GP |",
                "| --- | --- | --- | --- |",
            ]
            rows += [
                f"| {symptom} | 1 to 2 weeks | Rest, gentle movement and painkillers "
                f"| If it lasts more than {weeks} weeks |"
                for symptom, weeks in [("Stiff neck", 2), ("Headache", 1), ("Sore shoulder", 3),
                                       ("Tingling", 1), ("Clicking", 4)]
            ]  # fmt: skip
            blocks.append("\n".join(rows))
        if number % 2 == 1:
            blocks.append(
                "1. Sit up straight.\n2. Slowly turn your head to the left.\n"
                "3. Hold for 10 seconds.\n4. Repeat on the right side."
            )
    blocks += [
        "## When to get help",
        "- the pain is severe or getting worse\n- you have a high temperature and a stiff neck\n"
        "- you have numbness or weakness in your arms\n- the pain started after an injury",
        "## References",
        "\n".join(
            f"- [Neck pain: causes, treatment and self-care, source {number}]"
            f"(https://www.nhs.uk/conditions/neck-pain/reference-{number}/)"
            for number in range(references)
        ),
    ]
    return "\n\n".join(blocks)


def words(count: int) -> str:
    return "word " * count


# Each is refused, with a message naming what to change. Under each, what it cost
# Python-Markdown before it was refused (bench/markdown_bench.py).
REFUSED = [
    pytest.param(
        "x" * 61_200,
        "This text is 61,200 characters long; the most a field can hold is 50,000.",
        id="too-long",
    ),  # fmt: skip
    # 4,000 "[": 5 s; 8,000: over 20 s.
    pytest.param("[" * 4000, "(4,000 of them “[”)", id="brackets"),
    pytest.param("![" * 2000, "(2,000 of them “[”)", id="image-brackets"),
    pytest.param("[" * 2000 + "a" + "]" * 2000, "too much formatting", id="nested-brackets"),
    pytest.param("[a][" * 1000, "too much formatting", id="reference-brackets"),
    # Unclosed "[" in a long paragraph: each reads on to its end.
    pytest.param(
        ("[" + words(1000)) * 9,
        "The “[” on line 1 (“[word word word word…”) has no “]” closing it in its paragraph",
        id="unclosed-bracket",
    ),  # fmt: skip
    pytest.param(
        ("[a](" + words(700)) * 13,
        "The link on line 1 (“[a](word word word w…”) has no “)” closing its address",
        id="unclosed-address",
    ),  # fmt: skip
    pytest.param(
        '[a](b "c) ' * 300,
        "has no “)” closing its address, or has a quote mark in it that is never closed",
        id="unclosed-title",
    ),  # fmt: skip
    pytest.param(
        ("<a " + words(240)) * 40,
        "The “<” on line 1 (“<a word word word wo…”) starts what looks like an HTML tag",
        id="unclosed-tags",
    ),
    pytest.param("&" * 4000, "(4,000 of them “&”)", id="ampersands"),
    pytest.param("`x" * 5000, "(5,000 of them “`”)", id="code-marks"),
    pytest.param(
        "|" + " a |" * 3000 + "\n|" + "---|" * 3000, "(6,002 of them “|”)", id="table-columns"
    ),  # fmt: skip
    pytest.param("a\n\n" * 3000, "too much formatting", id="paragraphs"),
    pytest.param("## a\n\n" * 1000, "too much formatting", id="headings"),
    pytest.param("- a\n" * 2000, "too much formatting", id="list-items"),
    pytest.param(
        ("text " * 100 + "\n# Heading\n") * 95,
        "too much formatting",
        id="headings-inside-a-paragraph",
    ),  # fmt: skip
    # Nesting: 1,000 levels of bold overflowed Python's stack (a server error).
    pytest.param(
        "*" * 2000 + "x" + "*" * 2000,
        "The paragraph or list item starting on line 1 "
        "(“********************…”) has 4,000 * and _ marks",
        id="nested-emphasis",
    ),  # fmt: skip
    pytest.param("*a " * 300 + "x" + " b*" * 300, "has 600 * and _ marks", id="nested-italics"),
    pytest.param("_" * 49_000 + "x", "has 49,000 * and _ marks", id="underscores"),
    pytest.param(
        "- " * 1000 + "x",
        "Lists, quotes or indented lines are nested more than 8 levels "
        "deep on line 1 (“- - - - - - - - - - …”)",
        id="nested-lists",
    ),  # fmt: skip
    pytest.param("1. " * 500 + "x", "nested more than 8 levels deep", id="nested-numbered-lists"),
    pytest.param("> " * 1000 + "x", "nested more than 8 levels deep", id="nested-quotes"),
    pytest.param(
        "\n".join("    " * depth + "- x" for depth in range(50)),
        "nested more than 8 levels deep on line 9",
        id="indented-lists",
    ),  # fmt: skip
]


@pytest.mark.parametrize("text, message", REFUSED)
def test_text_that_would_take_too_long_to_render_is_refused_saying_why(text, message):
    problem = markdown_problem(text)

    assert problem is not None and message in problem
    assert "\n" not in problem


@pytest.fixture
def markdown_conversions(monkeypatch) -> list[str]:
    """The texts Python-Markdown is asked to convert, from now on."""
    converted = []
    convert = markdown.Markdown.convert

    def counting_convert(self, source):
        converted.append(source)
        return convert(self, source)

    monkeypatch.setattr(markdown.Markdown, "convert", counting_convert)
    return converted


@pytest.mark.parametrize("text, message", REFUSED)
def test_refused_text_is_shown_as_plain_paragraphs_without_rendering_it(
    text, message, markdown_conversions
):
    html = render_markdown(f"<script>alert(1)</script>\n\n{text}")

    assert markdown_conversions == []
    assert html.startswith("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n<p>")
    assert "<script" not in html


def test_a_conversion_that_failed_half_way_does_not_garble_the_next_text():
    # Markdown never gets such text from render_markdown; this is Python-Markdown unchecked.
    with pytest.raises(RecursionError):
        _rendered("- " * 4000 + "x")

    assert render_markdown("[NHS](https://www.nhs.uk/)") == (
        '<p><a href="https://www.nhs.uk/" rel="noopener noreferrer">NHS</a></p>'
    )


def test_refused_text_already_saved_is_shown_as_plain_text_on_its_page(
    client, markdown_conversions
):
    article = make_condition("Stiff neck", body="See [" * 5000 + "\n\nMore <b>words</b>.")

    page = client.get(article.get_absolute_url()).content.decode()

    assert (
        article.body_html == "<p>" + "See [" * 5000 + "</p>\n<p>More &lt;b&gt;words&lt;/b&gt;.</p>"
    )
    assert article.body_html in page
    assert "See [" * 5000 not in markdown_conversions


def real_articles() -> list:
    samples = [path for folder in SAMPLE_FOLDERS for path in sorted(folder.glob("*.txt"))]
    return [
        *(pytest.param(path.read_text(), id=path.name) for path in samples),
        pytest.param(long_nhs_style_article(), id="long-nhs-style-article"),
        pytest.param(long_nhs_style_article(sections=1, references=250), id="250-links"),
    ]


@pytest.mark.parametrize("text", real_articles())
def test_real_articles_pass_with_room_to_spare_and_render_with_markdown(text, markdown_conversions):
    assert markdown_problem(text) is None
    # Room to grow: a quarter of the text again, or more.
    assert len(text) * 1.25 < MAX_MARKDOWN_LENGTH
    assert markdown_problem(text + "\n\n" + text[: len(text) // 5]) is None

    html = render_markdown(text)

    assert markdown_conversions == [text]
    assert html.count("<a href=") == text.count("](")


def test_long_nhs_style_article_keeps_its_tables_lists_and_links():
    html = render_markdown(long_nhs_style_article())

    assert html.count("<table>") == 2
    assert html.count("<ul>") == 8 and html.count("<ol>") == 3
    assert html.count('<a href="https://www.nhs.uk/conditions/neck-pain/reference-') == 200


def test_bold_list_items_count_one_by_one_not_as_one_paragraph():
    glossary = "\n".join(f"- **Term {n}**: what it means, in *plain* words." for n in range(60))

    assert glossary.count("*") > 200
    assert markdown_problem(glossary) is None


def test_a_rule_made_of_dashes_is_not_a_deeply_nested_list():
    assert markdown_problem("Above\n\n- - - - - - - - - - - -\n\nBelow") is None


def calls_made_by(function, *args) -> int:
    """How many Python and built-in function calls `function(*args)` makes: work done."""
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        calls += event in ("call", "c_call")

    sys.setprofile(count)
    try:
        function(*args)
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "[" * n,
        lambda n: ("[" + words(20)) * n,
        lambda n: ("[a](" + words(20)) * n,
        lambda n: ("<a " + words(20)) * n,
        lambda n: "a\n\n" * n,
        lambda n: "- a\n" * n,
        lambda n: "  - a\n" * n,
        lambda n: "*a " * n,
        lambda n: ("**a** " * 50 + "\n\n") * (n // 50),
        lambda n: "# h\n" * n,
        lambda n: "[a](b) " * n,
    ],
    ids=["brackets", "unclosed-brackets", "unclosed-addresses", "tags", "paragraphs",
         "list-items", "nested-list-items", "italics", "bold-paragraphs", "headings", "links"],
)  # fmt: skip
def test_checking_a_text_takes_work_linear_in_its_length(make):
    small, large = (
        calls_made_by(markdown_problem, make(500)),
        calls_made_by(markdown_problem, make(5000)),
    )

    assert large <= 10 * small + 50


@pytest.mark.parametrize(
    "text",
    ["-" * 49_000 + "x", "a" + "_" * 49_000 + "b", "*" * 30 + "x" + "*" * 30, "=" * 49_000 + "x"],
    ids=["dashes", "underscores-in-a-word", "stars", "equals-signs"],
)
def test_long_runs_of_marks_are_accepted_without_the_check_backtracking(text):
    # Regular expressions with a repeated run inside a repetition took minutes or more on these.
    assert markdown_problem(text) is None


def test_the_admin_refuses_markdown_too_costly_to_render_and_keeps_the_text(reviewer_client):
    article = make_condition("Whiplash", body="Fine.", status=Article.Status.IN_REVIEW)
    url = f"/admin/conditions/conditionarticle/{article.pk}/change/"
    form = admin_change_form(reviewer_client, url)
    form["body"] = "Pasted from a broken page: " + "[" * 16_000

    response = reviewer_client.post(url, form)
    preview = reviewer_client.post(url, {**form, "_preview": "Preview"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["body"]
    assert "Pasted from a broken page" in response.content.decode()
    assert "Can&#x27;t preview yet" in preview.content.decode()
    article.refresh_from_db()
    assert article.body == "Fine."
