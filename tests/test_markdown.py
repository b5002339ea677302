"""Markdown from editors and imports becomes safe HTML, rendered once when saved."""

import pytest

from conditions.markdown import render_markdown
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
