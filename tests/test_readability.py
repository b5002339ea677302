"""Reading grades: how hard an article is to read, shown to editors in the admin."""

from pathlib import Path

from conditions.importer import parse_article
from conditions.readability import (
    TARGET_GRADE,
    ReadabilityReport,
    hardest_sentences,
    is_hard,
    reading_grade,
    report_for_condition,
    report_for_faq,
    report_html,
    sections,
    text_of_markdown,
)

SAMPLE_ARTICLE = Path(__file__).resolve().parent.parent / (
    "conditions/sample_content/000_cf1e57f4803ac2d1.txt"
)

SIMPLE = (
    "Your neck may feel stiff. Rest it for a day or two. Most neck pain gets better on its own."
)
DENSE = (
    "Cervical spondylosis, characterised by degenerative intervertebral discopathy and "
    "osteophytic proliferation, frequently precipitates radiculopathy and myelopathy, "
    "necessitating comprehensive neurological evaluation and occasionally neurosurgical "
    "intervention."
)
HARD_SENTENCE = (
    "Degenerative intervertebral discopathy occasionally necessitates comprehensive "
    "neurological investigation."
)


def test_simple_text_reads_at_a_low_grade():
    assert reading_grade(SIMPLE) < 6


def test_dense_clinical_text_reads_at_a_high_grade():
    assert reading_grade(DENSE) > 12


def test_markdown_syntax_does_not_change_the_grade_of_the_same_words():
    markdown = (
        "## Neck pain\n\n"
        "Most **neck pain** gets better _on its own_ within a few weeks. "
        "Read [the NHS page](https://www.nhs.uk/conditions/neck-pain/) "
        "to learn more.\n\n"
        "- Keep `moving` gently.\n"
        "- Take <em>painkillers</em> if you need them.\n\n"
        "> Call 999 if you have chest pain.\n"
    )
    same_words = (
        "Neck pain.\n\n"
        "Most neck pain gets better on its own within a few weeks. "
        "Read the NHS page to learn more.\n\n"
        "Keep moving gently.\n\n"
        "Take painkillers if you need them.\n\n"
        "Call 999 if you have chest pain.\n"
    )

    assert text_of_markdown(markdown) == text_of_markdown(same_words)
    assert reading_grade(markdown) == reading_grade(same_words)


def test_text_of_markdown_keeps_the_words_and_drops_the_syntax():
    text = text_of_markdown(
        "### A *heading*\n\n1. Ice &amp; rest\n2\\. Not a list\n\n<script>x()</script>"
    )

    assert text == "A heading.\nIce & rest 2. Not a list."


def test_text_without_words_has_no_grade():
    assert reading_grade("") is None
    assert reading_grade("## \n\n- \n\n---\n") is None


def test_a_body_splits_into_sections_under_their_headings():
    body = (
        "Neck pain is common.\n\n"
        "## Poor *posture*\n\nSitting badly strains the neck.\n\n"
        "### At work\n\nRaise your screen.\n\n"
        "# Sleep\n\nUse one pillow.\n\n"
        "#### A small heading stays in its section\n"
    )

    assert sections(body) == [
        ("Introduction", "Neck pain is common."),
        ("Poor posture", "Sitting badly strains the neck."),
        ("At work", "Raise your screen."),
        ("Sleep", "Use one pillow.\n\n#### A small heading stays in its section"),
    ]


def test_a_body_starting_with_a_heading_has_no_introduction():
    assert sections("## Causes\n\nMany things.", first_heading="Overview") == [
        ("Causes", "Many things.")
    ]
    assert sections("Just text.", first_heading="Overview") == [("Overview", "Just text.")]


def test_hardest_sentences_puts_the_long_polysyllabic_one_first():
    text = (
        f"Rest your neck for a day or two if it hurts. {HARD_SENTENCE} "
        "Use a warm towel on your neck to ease the pain. "
        "Osteophytic radiculopathy. Degenerative myelopathy!"
    )

    hardest = hardest_sentences(text, count=2)

    assert hardest[0][0] == HARD_SENTENCE
    assert hardest[0][1] > hardest[1][1]
    # Short fragments score high but are not what makes an article hard to read.
    assert all("Osteophytic" not in sentence and "myelopathy" not in sentence
               for sentence, _ in hardest)  # fmt: skip
    assert len(hardest_sentences(text)) == 3


def test_hardest_sentences_lists_a_repeated_sentence_once():
    assert hardest_sentences(f"{HARD_SENTENCE}\n\n{HARD_SENTENCE}") == [
        (HARD_SENTENCE, reading_grade(HARD_SENTENCE))
    ]


def test_condition_report_grades_each_section_and_the_medical_help():
    report = report_for_condition(
        "Neck pain",
        f"{SIMPLE}\n\n## Causes\n\n{DENSE}\n\n## Self care\n\n{SIMPLE}",
        "Call 999 if you have chest pain or find it hard to breathe.",
    )

    assert [label for label, _ in report.parts] == [
        "Introduction",
        "Causes",
        "Self care",
        "When to get medical help",
    ]
    assert dict(report.parts)["Causes"] == reading_grade(DENSE)
    assert report.hardest[0][0] == DENSE
    assert reading_grade(SIMPLE) < report.overall < reading_grade(DENSE)


def test_faq_report_grades_the_introduction_and_each_answer_by_its_question():
    report = report_for_faq(
        "Neck spasms",
        "Answers to common questions.",
        [("Is it serious?", SIMPLE), ("What causes it?", DENSE)],
    )

    assert [label for label, _ in report.parts] == [
        "Introduction",
        "Is it serious?",
        "What causes it?",
    ]
    assert report.overall is not None


def test_faq_without_introduction_starts_with_its_first_question():
    report = report_for_faq("Neck spasms", "", [("Is it serious?", SIMPLE)])

    assert [label for label, _ in report.parts] == ["Is it serious?"]


def test_a_realistic_article_gets_a_sane_grade():
    text = SAMPLE_ARTICLE.read_text()
    parsed = parse_article(text)

    report = report_for_condition(parsed.title, parsed.body, parsed.when_to_get_medical_help)

    assert isinstance(reading_grade(text), float)
    assert 8 < reading_grade(text) < 20
    assert 8 < report.overall < 20
    assert report.parts[0][0] == "Introduction"
    assert report.parts[-1][0] == "When to get medical help"
    assert len(report.hardest) == 3
    # Section headings are not glued to the sentence after them.
    assert not report.hardest[0][0].startswith("Muscle Tension and Fatigue")


def test_grades_above_the_target_are_hard():
    assert TARGET_GRADE == 8
    assert not is_hard(8.0)
    assert is_hard(8.1)
    assert not is_hard(None)


def test_report_html_says_an_easy_article_is_easy_enough():
    html = report_html(ReadabilityReport(overall=7.2, parts=[("Introduction", 7.2)]))

    assert "Grade 7.2</strong>: easy enough for most readers (aim for 8 or lower)" in html
    assert "above target" not in html
    assert "Hardest sentences" not in html


def test_report_html_marks_hard_parts_and_sentences_in_words():
    report = report_for_faq(
        "Neck spasms",
        "",
        [("Is it serious?", SIMPLE), ("What causes it?", DENSE)],
    )

    html = report_html(report)

    assert "harder than the grade-8 target" in html
    assert "<caption>" in html and '<th scope="row">What causes it?</th>' in html
    simple_row = html.split('<th scope="row">Is it serious?</th>')[1].split("</tr>")[0]
    hard_row = html.split('<th scope="row">What causes it?</th>')[1].split("</tr>")[0]
    assert "above target" not in simple_row
    assert f"{reading_grade(DENSE)} <strong>above target</strong>" in hard_row
    assert "<h3>Hardest sentences</h3>" in html
    assert DENSE in html


def test_report_html_escapes_editors_text():
    report = report_for_faq(
        "Neck spasms",
        "",
        [
            (
                'Is <script>alert("x")</script> safe?',
                f"{SIMPLE} In the admin, use a &lt;b&gt; tag for bold text.",
            )
        ],
    )

    html = report_html(report)

    assert "<script>" not in html and "<b>" not in html
    assert "Is &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; safe?" in html
    assert "In the admin, use a &lt;b&gt; tag for bold text." in html


def test_report_html_before_there_is_any_text():
    report = report_for_condition("Neck pain", "", "")

    assert report.overall is None
    assert report_html(report) == "<p>The reading grade appears here after you save some text.</p>"
