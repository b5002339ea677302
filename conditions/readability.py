"""How hard an article is to read: Flesch–Kincaid grades for the admin.

Patient material should read at grade 8 or lower (NIH; the NHS aims at a reading age of 9
to 11). Grades are worked out on plain text, so Markdown syntax never changes a grade:
only the words and sentences a reader sees count. Pure functions, no database.
"""

import html
import re
from dataclasses import dataclass, field

import textstat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

TARGET_GRADE = 8
# Shorter sentences are left out of "hardest sentences": a few long words in a fragment
# give a high grade that no reader would find hard.
MIN_SENTENCE_WORDS = 8
WHEN_TO_GET_MEDICAL_HELP = "When to get medical help"

# Whole-text patterns, applied before the text is read line by line.
SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# Block-level tags end a paragraph; other tags (<em>, <abbr>…) just disappear.
BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|h[1-6]|blockquote|table|thead|tbody|tr|th|td|dl|dt|dd|pre)"
    r"\b[^<>]*>",
    re.IGNORECASE,
)
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")

# Line patterns.
SECTION_HEADING = re.compile(r"^ {0,3}#{1,3}\s+(?P<heading>.*?)(?:\s+#+)?\s*$")
HEADING = re.compile(r"^ {0,3}#{1,6}(?:\s+(?P<heading>.*?))?(?:\s+#+)?\s*$")
BLOCKQUOTE_MARKER = re.compile(r"^\s*(?:>\s?)+")
LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+")
# Horizontal rules and setext heading underlines.
RULE = re.compile(r"^ {0,3}(?:(?:[-*_]\s*){3,}|=+)\s*$")
CODE_FENCE = re.compile(r"^\s*(?:```|~~~)")
TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)+\|?\s*$")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+")

# Inline patterns.
IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
REFERENCE_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
AUTOLINK = re.compile(r"<((?:https?|mailto|tel):[^<>\s]+)>")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
EMPHASIS = re.compile(r"(?<!\\)(?:\*+|~~|(?<![\w\\])_+|_+(?!\w))")
ESCAPED_CHARACTER = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")

ENDS_SENTENCE = re.compile(r"[.!?:;…][\"'”’)\]]*$")
# A sentence ends at . ! or ? followed by space and what looks like the next sentence's start.
SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
# "Dr. Patel" and "e.g. Neck pain" don't end a sentence.
ABBREVIATION_AT_END = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Prof|St|approx|e\.g|i\.e|vs)\.$")


def text_of_markdown(markdown_text: str) -> str:
    """The words a reader sees, without Markdown or HTML syntax; a paragraph per line.

    Headings and list items become paragraphs of their own, and a full stop is added to
    any paragraph that doesn't end a sentence, so that a heading is not read as the start
    of the sentence after it.
    """
    text = SCRIPT_OR_STYLE.sub("", markdown_text)
    text = HTML_COMMENT.sub("", text)
    text = BLOCK_TAG.sub("\n\n", text)
    text = AUTOLINK.sub(r"\1", text)
    text = HTML_TAG.sub("", text)

    paragraphs: list[str] = []
    current: list[str] = []

    def end_paragraph() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in text.splitlines():
        line = BLOCKQUOTE_MARKER.sub("", line)
        if (
            not line.strip()
            or RULE.match(line)
            or CODE_FENCE.match(line)
            or TABLE_SEPARATOR.match(line)
            or REFERENCE_DEFINITION.match(line)
        ):
            end_paragraph()
        elif heading := HEADING.match(line):
            end_paragraph()
            current.append(heading["heading"] or "")
            end_paragraph()
        elif LIST_MARKER.match(line):
            end_paragraph()
            current.append(LIST_MARKER.sub("", line))
        else:
            current.append(line.replace("|", " "))
    end_paragraph()

    lines = []
    for paragraph in paragraphs:
        paragraph = " ".join(_text_of_inline_markdown(paragraph).split())
        if not paragraph:
            continue
        if not ENDS_SENTENCE.search(paragraph):
            paragraph += "."
        lines.append(paragraph)
    return "\n".join(lines)


def _text_of_inline_markdown(text: str) -> str:
    text = IMAGE.sub(r"\1", text)
    text = LINK.sub(r"\1", text)
    text = REFERENCE_LINK.sub(r"\1", text)
    text = INLINE_CODE.sub(r"\2", text)
    text = EMPHASIS.sub("", text)
    text = ESCAPED_CHARACTER.sub(r"\1", text)
    return html.unescape(text)


def reading_grade(text: str) -> float | None:
    """The Flesch–Kincaid grade of `text` (Markdown or plain), or None if it has no words.

    Very easy text can score below zero; it is shown as 0, which editors read more easily.
    """
    plain = text_of_markdown(text)
    if textstat.lexicon_count(plain) == 0:
        return None
    return max(0.0, round(textstat.flesch_kincaid_grade(plain), 1))


def is_hard(grade: float | None) -> bool:
    return grade is not None and grade > TARGET_GRADE


def sections(markdown_text: str, first_heading: str = "Introduction") -> list[tuple[str, str]]:
    """`(heading, text)` for each `#`, `##` or `###` section of a body, in order.

    Text before the first heading is a section called `first_heading` (left out when blank).
    """
    found: list[tuple[str, list[str]]] = [(first_heading, [])]
    for line in markdown_text.splitlines():
        if heading := SECTION_HEADING.match(line):
            found.append((" ".join(_text_of_inline_markdown(heading["heading"]).split()), []))
        else:
            found[-1][1].append(line)
    result = [(heading, "\n".join(lines).strip()) for heading, lines in found]
    if not result[0][1]:
        result.pop(0)
    return result


def _sentences(text: str) -> list[str]:
    sentences = []
    for paragraph in text_of_markdown(text).splitlines():
        for piece in SENTENCE_BREAK.split(paragraph):
            if sentences and ABBREVIATION_AT_END.search(sentences[-1]) and piece[:1].isupper():
                sentences[-1] = f"{sentences[-1]} {piece}"
            else:
                sentences.append(piece)
    return [sentence.strip() for sentence in sentences if sentence.strip()]


def hardest_sentences(text: str, count: int = 3) -> list[tuple[str, float]]:
    """The `count` hardest sentences of `text` with their grades, hardest first.

    Only sentences of MIN_SENTENCE_WORDS words or more count, and each only once (the
    "when to get medical help" callout often repeats sentences from the body).
    """
    graded = {}
    for sentence in _sentences(text):
        if sentence not in graded and textstat.lexicon_count(sentence) >= MIN_SENTENCE_WORDS:
            graded[sentence] = reading_grade(sentence)
    # sorted() is stable, so equally hard sentences stay in reading order.
    return sorted(graded.items(), key=lambda item: item[1], reverse=True)[:count]


@dataclass
class ReadabilityReport:
    """An article's grade, the grade of each of its parts, and its hardest sentences.

    `overall` is None while the article has no text (beyond its title).
    """

    overall: float | None
    parts: list[tuple[str, float]] = field(default_factory=list)
    hardest: list[tuple[str, float]] = field(default_factory=list)


def _report(labelled_texts: list[tuple[str, str]], whole: str) -> ReadabilityReport:
    # A part without words (a heading that only introduces subheadings, an empty answer)
    # has no grade and isn't listed.
    parts = [
        (label, grade)
        for label, text in labelled_texts
        if (grade := reading_grade(text)) is not None
    ]
    if not parts:
        return ReadabilityReport(overall=None)
    return ReadabilityReport(
        overall=reading_grade(whole), parts=parts, hardest=hardest_sentences(whole)
    )


def report_for_condition(title: str, body: str, when_to_get_medical_help: str) -> ReadabilityReport:
    """Grades of a condition article: each section of the body, then "When to get medical help"."""
    labelled_texts = [*sections(body), (WHEN_TO_GET_MEDICAL_HELP, when_to_get_medical_help)]
    whole = "\n\n".join([f"# {title}", body, when_to_get_medical_help])
    return _report(labelled_texts, whole)


def report_for_faq(title: str, intro: str, items: list[tuple[str, str]]) -> ReadabilityReport:
    """Grades of an FAQ article: the introduction (if any), then each answer, by its question."""
    labelled_texts = [("Introduction", intro), *items]
    # Readers read the questions too, so the whole article's grade includes them.
    whole = "\n\n".join(
        [f"# {title}", intro, *(f"## {question}\n\n{answer}" for question, answer in items)]
    )
    return _report(labelled_texts, whole)


def _grade_with_marker(grade: float) -> SafeString:
    # A word, not only a colour, says which grades are too high.
    if is_hard(grade):
        return format_html("{} <strong>above target</strong>", f"{grade:.1f}")
    return format_html("{}", f"{grade:.1f}")


def report_html(report: ReadabilityReport) -> SafeString:
    """The report as an HTML fragment for the admin's change form; every text is escaped."""
    if report.overall is None:
        return format_html("<p>{}</p>", "The reading grade appears here after you save some text.")

    if is_hard(report.overall):
        verdict = f"harder than the grade-{TARGET_GRADE} target"
    else:
        verdict = f"easy enough for most readers (aim for {TARGET_GRADE} or lower)"
    summary = format_html("<p><strong>Grade {}</strong>: {}.</p>", f"{report.overall:.1f}", verdict)

    rows = format_html_join(
        "\n",
        '<tr><th scope="row">{}</th><td>{}</td></tr>',
        ((label, _grade_with_marker(grade)) for label, grade in report.parts),
    )
    table = format_html(
        "<table>\n<caption>Reading grade of each part</caption>\n<thead><tr>"
        '<th scope="col">Part</th><th scope="col">Grade</th></tr></thead>\n'
        "<tbody>\n{}\n</tbody>\n</table>",
        rows,
    )

    hardest = ""
    if report.hardest:
        items = format_html_join(
            "\n",
            "<li>{} (grade {})</li>",
            ((sentence, _grade_with_marker(grade)) for sentence, grade in report.hardest),
        )
        hardest = format_html("<h3>Hardest sentences</h3>\n<ol>\n{}\n</ol>", items)

    return format_html(
        '<div class="readability-report">\n{}\n{}\n{}\n</div>', summary, table, hardest
    )
