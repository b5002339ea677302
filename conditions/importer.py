"""Importing articles from plain-text files, for the `import_articles` command.

Two formats are understood, those of the documents in `conditions/sample_content/`:

- a condition article: a title line, an introduction, numbered sections ("1. Poor Posture"
  then its text) and closing advice;
- an FAQ: question lines, each followed by its answer.

A file is read and parsed completely before the database is touched, then saved in one
transaction, so a file that can't be imported changes nothing. Each non-blank line of a
file is one paragraph: that is how the sample documents are written.
"""

import errno
import os
import re
import stat
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import reversion
from django.db import connection

from conditions import condition_names, image_references, signals, working_copies
from conditions.care_levels import care_level
from conditions.leftovers import is_removable_line, leftovers_in_line
from conditions.markdown import markdown_problem
from conditions.models import (
    MAX_QUESTIONS,
    Article,
    AuditEvent,
    ConditionArticle,
    ConditionName,
    FaqArticle,
    FaqItem,
    Image,
    Symptom,
)
from conditions.readability import SENTENCE_BREAK

# Limits on one file, checked before the costly work. A real article is 3 to 40 KB: 1 MB is
# 25 times the longest, and no more than that (and a byte, to tell) is ever read, so a huge
# file costs neither time nor memory.
MAX_FILE_BYTES = 1_000_000

SUMMARY_LENGTH = 300
TITLE_LENGTH = Article._meta.get_field("title").max_length
QUESTION_LENGTH = FaqItem._meta.get_field("question").max_length
SOURCE_LENGTH = Article._meta.get_field("import_source").max_length

NUMBERED_SECTION = re.compile(r"^\d+\.\s+(?P<heading>\S.*)$")
QUESTION = re.compile(r"\?[\"'”’)\]]*$")
# Line starts that Markdown would turn into a heading, list, quote or rule.
MARKDOWN_BLOCK_START = re.compile(r"^(?:#|>|[-*+](?:\s|$)|[-*_=]{3,}\s*$)")
MARKDOWN_ORDERED_LIST_START = re.compile(r"^(\d+)([.)])(\s)")

# Control characters other than the line ends and tabs a text file may have.
BINARY_CHARACTER = re.compile(r"[\x00-\x08\x0e-\x1f]")
# Characters that would change or hide what is printed on a terminal: control characters
# (a line break would start a line that looks like the command's own), Unicode line breaks
# and direction marks.
CONTROL_CHARACTER = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
# ... and bytes of a file name that aren't UTF-8, which Python reads as surrogates.
UNPRINTABLE = re.compile(rf"{CONTROL_CHARACTER.pattern}|[\udc80-\udcff]")
ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
SYMBOLIC_LINK = "a symbolic link; not followed"

MEDICAL_HELP_LEVEL_NAMES = {
    "non_urgent": "“see a GP”",
    "urgent": "urgent",
    "emergency": "emergency",
}

UNKNOWN_FORMAT = (
    "unknown format (expected a condition article with numbered sections, "
    "or questions each followed by an answer)"
)


class ImportFileError(Exception):
    """Why one file can't be imported; the message is the reason shown to the user."""


@dataclass
class Section:
    heading: str
    paragraphs: list[str]


@dataclass
class ParsedCondition:
    title: str
    intro: list[str]
    sections: list[Section]
    closing_advice: str

    kind = Article.Kind.CONDITION

    @property
    def paragraphs(self) -> list[str]:
        """Every paragraph of text, in order, without the headings."""
        paragraphs = [*self.intro]
        for section in self.sections:
            paragraphs += section.paragraphs
        if self.closing_advice:
            paragraphs.append(self.closing_advice)
        return paragraphs

    @property
    def all_text(self) -> str:
        """The title, headings and paragraphs, a line each: where symptoms are looked for."""
        headings = [section.heading for section in self.sections]
        return "\n".join([self.title, *self.intro, *headings, *self.paragraphs])

    @property
    def body(self) -> str:
        """The introduction and sections as Markdown, each section under a `##` heading. The
        sentences the summary takes from the introduction are left out: the page shows the
        summary under the title, and would otherwise say them twice."""
        intro = paragraphs_after_summary(self.intro, self.summary([]))
        blocks = [as_markdown_paragraph(paragraph) for paragraph in intro]
        for section in self.sections:
            blocks.append(f"## {section.heading}")
            blocks += [as_markdown_paragraph(paragraph) for paragraph in section.paragraphs]
        if self.closing_advice:
            blocks += ["## What you can do", as_markdown_paragraph(self.closing_advice)]
        return "\n\n".join(blocks)

    @property
    def medical_help_by_level(self) -> dict[str, str]:
        """Sentences of the article that advise getting medical help, copied (a paragraph
        each) into the level their words clearly ask for: "emergency", "urgent" or
        "non_urgent" (general advice). The sentences stay in the body too."""
        # Dicts as ordered sets: each sentence once, in the order of the article.
        advice = {"emergency": {}, "urgent": {}, "non_urgent": {}}
        for paragraph in self.paragraphs:
            for sentence in split_sentences(paragraph):
                # Only a clear cue makes advice urgent or an emergency: see care_levels.
                if level := care_level(sentence):
                    advice[level][sentence] = None
        return {
            level: "\n\n".join(as_markdown_paragraph(sentence) for sentence in sentences)
            for level, sentences in advice.items()
        }

    @property
    def when_to_get_medical_help(self) -> str:
        """All the sentences advising medical help, whatever their level."""
        return "\n\n".join(text for text in self.medical_help_by_level.values() if text)

    def summary(self, symptoms: list[Symptom]) -> str:
        """The first sentences of the introduction. (FAQ summaries use `symptoms`.)"""
        opening = self.intro or next(s.paragraphs for s in self.sections if s.paragraphs)
        return summarise(" ".join(opening))


@dataclass
class FaqEntry:
    question: str
    paragraphs: list[str]

    @property
    def answer(self) -> str:
        return "\n\n".join(as_markdown_paragraph(paragraph) for paragraph in self.paragraphs)


@dataclass
class ParsedFaq:
    entries: list[FaqEntry]

    kind = Article.Kind.FAQ

    @property
    def title(self) -> str:
        return self.entries[0].question

    @property
    def all_text(self) -> str:
        """Every question and answer paragraph, a line each: where symptoms are looked for."""
        lines = []
        for entry in self.entries:
            lines += [entry.question, *entry.paragraphs]
        return "\n".join(lines)

    def summary(self, symptoms: list[Symptom]) -> str:
        """E.g. "Answers to 12 common questions about muscle spasm, headache and neck pain."."""
        count = len(self.entries)
        if not symptoms:
            return summarise(f"Answers to {count} common questions, starting with: {self.title}")
        names = [lowercase_name(symptom.name) for symptom in symptoms[:3]]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        return summarise(f"Answers to {count} common questions about {listed}.")


# Reading and parsing: no database here.


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The file's text, or ImportFileError if it isn't UTF-8 text of at most `max_bytes`.

    Only a regular file is read, never through a symbolic link (even one put in its place
    since it was found), and never more than `max_bytes` and one byte more.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ImportFileError(SYMBOLIC_LINK) from error
        raise ImportFileError(f"cannot read the file ({error.strerror or error})") from error
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise ImportFileError("not a file or a folder")
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        size = max(status.st_size, len(data))
        raise ImportFileError(f"file too large ({size:,} bytes, at most {max_bytes:,})")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("not UTF-8 text (it looks like UTF-16; save it as UTF-8)")
    if b"\x00" in data:
        raise ImportFileError("binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError("not UTF-8 text") from error
    if BINARY_CHARACTER.search(text):
        raise ImportFileError("binary file, not text")
    return text


def parse_article(text: str, max_questions: int = MAX_QUESTIONS) -> ParsedCondition | ParsedFaq:
    """Recognise the format of `text` and parse it, or raise ImportFileError saying why not."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise ImportFileError("file is empty")
    if len(lines) == 1:
        raise ImportFileError("only a title line, with no article text after it")

    questions = [index for index, line in enumerate(lines) if is_question(line)]
    unanswered = [
        index for index in questions if index + 1 == len(lines) or is_question(lines[index + 1])
    ]
    has_sections = any(NUMBERED_SECTION.match(line) for line in lines[1:])
    looks_like_faq = is_question(lines[0]) and len(questions) >= 2

    if looks_like_faq and not unanswered:
        return parse_faq(lines, max_questions)
    if has_sections and not NUMBERED_SECTION.match(lines[0]):
        return parse_condition(lines)
    if looks_like_faq:
        raise ImportFileError(f"a question has no answer: {shorten(lines[unanswered[0]])}")
    raise ImportFileError(UNKNOWN_FORMAT)


def parse_condition(lines: list[str]) -> ParsedCondition:
    title = check_title(lines[0])
    intro: list[str] = []
    sections: list[Section] = []
    for line in lines[1:]:
        if match := NUMBERED_SECTION.match(line):
            sections.append(Section(heading=match["heading"], paragraphs=[]))
        elif sections:
            sections[-1].paragraphs.append(line)
        else:
            intro.append(line)
    if not intro and not any(section.paragraphs for section in sections):
        raise ImportFileError("only a title and section headings, with no article text")

    closing_advice = ""
    if len(sections[-1].paragraphs) > 1:
        closing_advice = sections[-1].paragraphs.pop()
    return ParsedCondition(
        title=title, intro=intro, sections=sections, closing_advice=closing_advice
    )


def parse_faq(lines: list[str], max_questions: int = MAX_QUESTIONS) -> ParsedFaq:
    questions = sum(1 for line in lines if is_question(line))
    if questions > max_questions:
        raise ImportFileError(f"too many questions ({questions:,}, at most {max_questions:,})")
    entries: list[FaqEntry] = []
    for line in lines:
        if is_question(line):
            if len(line) > QUESTION_LENGTH:
                raise ImportFileError(
                    f"a question is too long ({len(line)} characters, at most "
                    f"{QUESTION_LENGTH}): {shorten(line)}"
                )
            entries.append(FaqEntry(question=line, paragraphs=[]))
        else:
            entries[-1].paragraphs.append(line)
    check_title(entries[0].question)
    return ParsedFaq(entries=entries)


def is_question(line: str) -> bool:
    # A numbered line is a condition article's section heading, even when it asks something.
    return bool(QUESTION.search(line)) and not NUMBERED_SECTION.match(line)


def check_title(line: str) -> str:
    if len(line) > TITLE_LENGTH:
        raise ImportFileError(
            f"the first line is too long for a title ({len(line)} characters, "
            f"at most {TITLE_LENGTH})"
        )
    return line


def split_sentences(text: str) -> list[str]:
    return [sentence.strip() for sentence in SENTENCE_BREAK.split(text) if sentence.strip()]


def summarise(text: str) -> str:
    """The first one or two sentences of `text`, at most SUMMARY_LENGTH characters."""
    sentences = split_sentences(text)
    summary = sentences[0] if sentences else text.strip()
    if len(sentences) > 1 and len(f"{summary} {sentences[1]}") <= SUMMARY_LENGTH:
        summary = f"{summary} {sentences[1]}"
    if len(summary) <= SUMMARY_LENGTH:
        return summary
    # No sentence end early enough: cut at a word and say so.
    cut = summary[: SUMMARY_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:-– ")
    return f"{cut}…"


def as_markdown_paragraph(line: str) -> str:
    """`line` as a Markdown paragraph, escaping a start Markdown would read as block syntax."""
    if match := MARKDOWN_ORDERED_LIST_START.match(line):
        return f"{match[1]}\\{match[2]}{match[3]}{line[match.end() :]}"
    if MARKDOWN_BLOCK_START.match(line):
        return f"\\{line}"
    return line


def paragraphs_after_summary(paragraphs: list[str], summary: str) -> list[str]:
    """`paragraphs` without the opening sentences `summary` already says. A summary that was
    shortened ("…") or that runs on into a second paragraph leaves them all whole."""
    if not paragraphs or not paragraphs[0].startswith(summary):
        return paragraphs
    rest = paragraphs[0][len(summary) :].strip()
    return ([rest] if rest else []) + paragraphs[1:]


def lowercase_name(name: str) -> str:
    # "Neck pain" reads as "neck pain" mid-sentence; an abbreviation ("TMJ pain") stays.
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def shorten(text: str, length: int = 80) -> str:
    return text if len(text) <= length else f"{text[: length - 1]}…"


# Scraped leftovers (see conditions.leftovers).


@dataclass
class LeftoverReport:
    """The scraped leftovers of one file, a warning each naming its line."""

    warnings: list[str] = field(default_factory=list)
    # Whether any stay in the text (the article will be marked "needs editing"), rather
    # than all being lines left out.
    kept: bool = False


def leave_out_scraped_lines(text: str) -> tuple[str, LeftoverReport]:
    """`text` without the lines that are only a web page's button or advert label ("Read
    More", "Advertisement"), and a warning for each of those and every other leftover.

    Only whole lines of that kind are left out: they hold no words of the article. A cut-off
    sentence or a "Read More" inside a line is kept and reported, never deleted, because
    what the text meant is for an editor and a medical reviewer to decide.
    """
    lines = text.splitlines()
    report = LeftoverReport()
    for number, line in enumerate(lines, start=1):
        if is_removable_line(line):
            report.warnings.append(f"line {number}: left out “{line.strip()}” (a web page's label)")
            lines[number - 1] = ""  # blank, so the following lines keep their numbers
            continue
        for leftover in leftovers_in_line(line):
            report.warnings.append(f"line {number}: {leftover}")
            report.kept = True
    return "\n".join(lines), report


def missing_image_warnings(text: str) -> list[str]:
    """A warning for each reference to a library image this site doesn't have (a file from
    another site, or an image deleted since): it stays in the text, shown as the words
    typed, for an editor to replace. One query, none without references."""
    lines = {
        number: image_references.references_in(line)
        for number, line in enumerate(text.splitlines(), start=1)
        if image_references.SCHEME in line
    }
    ids = {ref.image_id for refs in lines.values() for ref in refs if ref.image_id is not None}
    if not ids:
        return []
    known = set(Image.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return [
        f"line {number}: “{ref.text}”: there is no image {ref.image_id} in this site's "
        "library; it stays as text"
        for number, refs in lines.items()
        for ref in refs
        if ref.image_id is not None and ref.image_id not in known
    ]


# Finding the symptoms an article mentions.


@dataclass
class SymptomMatcher:
    """A symptom, and a pattern that finds its name and synonyms in text."""

    symptom: Symptom
    pattern: re.Pattern

    def mentions(self, text: str) -> list[re.Match]:
        return list(self.pattern.finditer(text))


def term_pattern(term: str) -> str:
    """A regex for `term` as whole words, ignoring spacing/hyphen differences and plurals.

    "light-headed" finds "light headed" and "lightheaded"; "headache" finds "headaches".
    """
    words = [word for word in re.split(r"[\s\-‐–]+", term.strip()) if word]
    escaped = [re.escape(word).replace("'", "['’]") for word in words]
    return r"(?<!\w)" + r"[ \t\-‐–]*".join(escaped) + r"(?:e?s)?(?!\w)"


def symptom_matchers() -> list[SymptomMatcher]:
    """A matcher for every symptom in the database."""
    matchers = []
    for symptom in Symptom.objects.all():
        # Longest first, so "muscle spasm" is preferred to "spasm" where both match.
        terms = sorted({term.lower() for term in symptom.terms}, key=len, reverse=True)
        alternatives = "|".join(term_pattern(term) for term in terms)
        matchers.append(SymptomMatcher(symptom, re.compile(alternatives, re.IGNORECASE)))
    return matchers


def mentioned_symptoms(text: str, matchers: list[SymptomMatcher]) -> list[Symptom]:
    """The symptoms `text` mentions, most mentioned first (then by first mention)."""
    found = []
    for matcher in matchers:
        mentions = matcher.mentions(text)
        if mentions:
            found.append((-len(mentions), mentions[0].start(), matcher.symptom))
    return [symptom for *_, symptom in sorted(found, key=lambda row: row[:2])]


# Saving.


@dataclass
class Saved:
    """What importing one file did (or, in a dry run, would do) to its article."""

    article: Article
    action: str  # "created", "updated", "updated the working copy of", "unchanged"
    changed: list[str]  # the names of the parts that changed


# The parts of an article an import writes, by name, as the dry run reports them.
IMPORTED_FIELDS = {
    Article.Kind.CONDITION: [
        "title", "summary", "body", "when_to_get_medical_help", "urgent_help", "emergency_help",
    ],
    Article.Kind.FAQ: ["title", "summary"],
}  # fmt: skip


def save_article(
    parsed: ParsedCondition | ParsedFaq,
    source: str,
    matchers: list[SymptomMatcher],
    *,
    publish: bool,
    dry_run: bool = False,
) -> Saved:
    """Create or update the article imported from `source`.

    A published article is never changed: the import goes into its working copy, for a
    medical reviewer to publish. A draft is updated in place. Each import is a revision
    ("Imported from FILE") and an audit event. `publish` publishes an article that has
    never been published (a new one, or a draft); `dry_run` only works out what would change.
    """
    check_markdown(parsed)
    symptoms = mentioned_symptoms(parsed.all_text, matchers)
    model = ConditionArticle if parsed.kind == Article.Kind.CONDITION else FaqArticle
    with signals.atomic_change():
        # Locked, as an admin save locks it: neither can save over the other unseen.
        existing = (
            Article.objects.select_for_update(no_key=True)
            .filter(import_source=source, live_article__isnull=True)
            .first()
        )
        if existing is not None and existing.kind != parsed.kind:
            raise ImportFileError(
                f"an earlier import of {source} made the {existing.get_kind_display()} article "
                f"“{shorten(existing.title, 60)}”; this file is a {parsed.kind.label} article, "
                f"so delete that one first"
            )
        values = {"title": parsed.title, "summary": parsed.summary(symptoms)}
        if isinstance(parsed, ParsedCondition):
            help_by_level = parsed.medical_help_by_level
            values.update(
                body=parsed.body,
                when_to_get_medical_help=help_by_level["non_urgent"],
                urgent_help=help_by_level["urgent"],
                emergency_help=help_by_level["emergency"],
            )
        questions = parsed.entries if isinstance(parsed, ParsedFaq) else None

        if existing is None:
            if dry_run:
                return Saved(model(**values), "new", [])
            # Article.save gives it a free slug made from the title.
            article, action = model(import_source=source), "created"
        else:
            live = model.objects.get(pk=existing.pk)
            is_live = live.status == Article.Status.PUBLISHED
            # A published article's changes are compared with (and written into) its working
            # copy, if it has one: re-importing the same file then changes nothing more.
            article = (working_copies.working_copy_of(live) if is_live else None) or live
            changed = changed_parts(article, values, symptoms, questions)
            if dry_run or (is_live and not changed):
                return Saved(live, "changed" if changed else "unchanged", changed)
            if is_live:
                article = working_copies.start(live, None, audit=False)
                action = "updated the working copy of"
            else:
                action = "updated"

        with reversion.create_revision():
            for name, value in values.items():
                setattr(article, name, value)
            if publish and article.published_at is None and not article.is_working_copy:
                # Only an article that has never been published: one a reviewer has taken
                # down, or has published, stays their decision.
                article.status = Article.Status.PUBLISHED
            article.updated_by = None  # an import: a form opened before it says so when refused
            article.save()
            article.symptoms.set(symptoms)
            if questions is not None:
                replace_faq_items(article, questions)
            if isinstance(parsed, ParsedCondition):
                propose_condition_names(article, parsed)
            reversion.add_to_revision(article)  # with its symptoms and questions as now
            reversion.set_comment(f"Imported from {source}")
        subject = article.live_article if article.is_working_copy else article
        AuditEvent.record(
            AuditEvent.Action.IMPORTED,
            article=subject,
            detail=f"Imported from {source}"
            + (" into its working copy" if article.is_working_copy else ""),
        )
    return Saved(subject, action, [])


def propose_condition_names(article: ConditionArticle, parsed: ParsedCondition) -> None:
    """Names for the conditions A–Z, for the editor to confirm: a condition name made from a
    question title, and the conditions the numbered sections explain. Only for an article
    that has none yet: names an editor has given are never replaced by an import."""
    name = "" if article.condition_name else condition_names.proposed_condition_name(parsed.title)
    if name:
        article.condition_name = name
        # The article is saved already (its revision reads this, and the search entry is
        # made on commit): no need to render it all again.
        ConditionArticle.objects.filter(pk=article.pk).update(condition_name=name)
    if not article.other_names.exists():
        headings = [section.heading for section in parsed.sections]
        proposed = condition_names.proposed_section_names(headings, article.contents)
        for name in proposed:
            name.article = article
        ConditionName.objects.bulk_create(proposed)


def changed_parts(
    article: Article, values: dict, symptoms: list[Symptom], questions: list | None
) -> list[str]:
    """The names of the parts of `article` an import of `values` would change."""
    changed = [name for name, value in values.items() if getattr(article, name) != value]
    if {symptom.pk for symptom in article.symptoms.all()} != {symptom.pk for symptom in symptoms}:
        changed.append("symptoms")
    if questions is not None:
        current = list(article.items.order_by("position", "id").values_list("question", "answer"))
        if current != [(entry.question, entry.answer) for entry in questions]:
            changed.append("questions")
    return changed


def check_markdown(parsed: ParsedCondition | ParsedFaq) -> None:
    """ImportFileError if any Markdown the article would have can't be accepted (too long,
    say, or too costly to render), naming the part and the problem."""
    if isinstance(parsed, ParsedCondition):
        parts = {"the article's text": parsed.body}
        for level, text in parsed.medical_help_by_level.items():
            parts[f"the {MEDICAL_HELP_LEVEL_NAMES[level]} advice copied from it"] = text
    else:
        parts = {
            f"the answer to “{shorten(entry.question, 60)}”": entry.answer
            for entry in parsed.entries
        }
    for part, text in parts.items():
        if problem := markdown_problem(text):
            raise ImportFileError(f"{part}: {problem}")


def replace_faq_items(faq: FaqArticle, entries: list[FaqEntry]) -> None:
    """Replace the FAQ's questions, keeping the anchor of every question that is unchanged.

    The questions are deleted and written in bulk, then the FAQ is re-indexed, re-graded and
    the cached pages dropped once: saving them one by one would do each of those for the
    whole FAQ again after every question, a cost growing with the square of their number.
    """
    old_anchors = defaultdict(deque)
    for question, anchor in faq.items.order_by("position", "id").values_list("question", "anchor"):
        old_anchors[question].append(anchor)
    # One statement, where QuerySet.delete() would run the receivers for each question.
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(FaqItem._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE faq_id = %s", [faq.pk])

    items = [
        FaqItem(
            faq=faq,
            question=entry.question,
            answer=entry.answer,
            position=position,
            anchor=old_anchors[entry.question].popleft() if old_anchors[entry.question] else "",
        )
        for position, entry in enumerate(entries)
    ]
    # Anchors kept are taken before new ones are made, so a new question can't take an
    # anchor that a kept one still needs.
    taken = {item.anchor for item in items if item.anchor}
    for item in items:
        if not item.anchor:
            item.anchor = FaqItem.free_anchor(item.question, taken)
            taken.add(item.anchor)
        item.render_markdown()
    FaqItem.objects.bulk_create(items, batch_size=500)

    signals.questions_replaced(faq)


# Running an import.


def printable(text: str) -> str:
    """`text` on one line and safe to print: a control character, Unicode line break or
    direction mark becomes a backslash escape (\\n, \\x1b, \\u202e), and a byte of a file
    name that isn't UTF-8 becomes \\xff (Python reads such a byte as a surrogate)."""
    return UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    char = match[0]
    if char in ESCAPES:
        return ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def file_name_problem(name: str) -> str:
    """Why a file can't be imported under this name (the name its article is found by)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "the file name isn't UTF-8 text; rename the file"
    if CONTROL_CHARACTER.search(name):
        return "the file name has a line break or other control character in it; rename the file"
    if len(name) > SOURCE_LENGTH:
        return f"file name too long (at most {SOURCE_LENGTH} characters)"
    return ""


@dataclass
class FileOutcome:
    path: str
    # "created", "updated", "updated the working copy of", "unchanged" or "failed"; in a dry
    # run "new", "changed" or "unchanged".
    action: str
    detail: str  # the article's title, or why the file failed
    changed: list[str] = field(default_factory=list)  # in a dry run: the parts that would change
    leftovers: LeftoverReport = field(default_factory=LeftoverReport)


def find_files(paths: Iterable[str]) -> Iterator[tuple[str, Path | None, str]]:
    """(path as shown, path, problem) for every file named or inside a folder named.

    Symbolic links are never followed, named or found in a folder: each is a problem.
    """
    seen = set()
    for name in paths:
        path = Path(name)
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            yield name, None, "no such file or folder"
            continue
        except OSError as error:
            yield name, None, f"cannot read it ({error.strerror or error})"
            continue
        if stat.S_ISLNK(mode):
            yield name, None, SYMBOLIC_LINK
            continue
        if stat.S_ISDIR(mode):
            found = folder_contents(path)
            if not found:
                yield name, None, "folder has no .txt files"
        elif stat.S_ISREG(mode):
            found = [(path, "")]
        else:
            yield name, None, "not a file or a folder"
            continue
        for file, problem in found:
            if problem:
                yield str(file), None, problem
            elif file.resolve() not in seen:
                seen.add(file.resolve())
                yield (name if file is path else str(file)), file, ""


def folder_contents(folder: Path) -> list[tuple[Path, str]]:
    """(path, problem) for the .txt files in `folder` and its subfolders, in order, leaving
    out hidden ones; and for the symbolic links among them, or to folders, "not followed"."""
    found = []
    folders = [folder]
    while folders:
        subfolder = folders.pop()
        try:
            entries = list(os.scandir(subfolder))
        except OSError as error:
            found.append((subfolder, f"cannot read the folder ({error.strerror or error})"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                if entry.name.endswith(".txt") or os.path.isdir(entry.path):
                    found.append((Path(entry.path), SYMBOLIC_LINK))
            elif entry.is_dir(follow_symlinks=False):
                folders.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False) and entry.name.endswith(".txt"):
                found.append((Path(entry.path), ""))
    return sorted(found)


def import_paths(
    paths: Iterable[str],
    *,
    publish: bool,
    dry_run: bool = False,
    max_questions: int = MAX_QUESTIONS,
) -> Iterator[FileOutcome]:
    """Import every file in `paths`, one outcome per file; a failed file changes nothing,
    and a dry run changes nothing at all.

    `max_questions` is for benchmarks, which measure how the cost grows past the limit.
    """
    matchers = symptom_matchers()
    imported_sources: dict[str, str] = {}
    for shown, path, problem in find_files(paths):
        if problem:
            yield FileOutcome(shown, "failed", problem)
            continue
        source = path.name
        try:
            if problem := file_name_problem(source):
                raise ImportFileError(problem)
            if source in imported_sources:
                # Files are matched to articles by name, so the second would overwrite the first.
                raise ImportFileError(
                    f"same file name as {imported_sources[source]}, imported earlier in this run"
                )
            text, leftovers = leave_out_scraped_lines(read_text(path))
            leftovers.warnings += missing_image_warnings(text)
            parsed = parse_article(text, max_questions)
            saved = save_article(parsed, source, matchers, publish=publish, dry_run=dry_run)
        except ImportFileError as error:
            yield FileOutcome(shown, "failed", str(error))
            continue
        imported_sources[source] = shown
        yield FileOutcome(shown, saved.action, saved.article.title, saved.changed, leftovers)
