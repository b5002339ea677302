"""Importing articles from plain-text files, for the `import_articles` command.

Two formats are understood, those of the documents in `conditions/sample_content/`:

- a condition article: a title line, an introduction, numbered sections ("1. Poor Posture"
  then its text) and closing advice;
- an FAQ: question lines, each followed by its answer.

A file is read and parsed completely before the database is touched, then saved in one
transaction, so a file that can't be imported changes nothing. Each non-blank line of a
file is one paragraph: that is how the sample documents are written.
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from conditions.models import Article, ConditionArticle, FaqArticle, FaqItem, Symptom

SUMMARY_LENGTH = 300
TITLE_LENGTH = Article._meta.get_field("title").max_length
QUESTION_LENGTH = FaqItem._meta.get_field("question").max_length
SOURCE_LENGTH = Article._meta.get_field("import_source").max_length

NUMBERED_SECTION = re.compile(r"^\d+\.\s+(?P<heading>\S.*)$")
QUESTION = re.compile(r"\?[\"'”’)\]]*$")
# A sentence ends at . ! or ? followed by space and what looks like the next sentence's start.
SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")
# Sentences advising the reader to get medical attention, copied into the article's
# "when to get medical help" callout. "Follow medical advice and use medications..." is
# advice about treatment, not about seeking help, so it deliberately doesn't match.
MEDICAL_HELP = re.compile(
    r"\b(?:"
    r"seek(?:ing)?\s+(?:\w+\s+){0,2}?(?:medical|professional|urgent|emergency)\s+"
    r"(?:attention|help|advice|care|treatment)"
    r"|get(?:ting)?\s+(?:urgent\s+|immediate\s+|emergency\s+)?medical\s+"
    r"(?:attention|help|advice|care)"
    r"|(?:see|visit|consult|contact|call|phone|speak\s+to|talk\s+to)\s+(?:a|an|your|the)\s+"
    r"(?:doctor|gp|physician|specialist|(?:health(?:care)?|medical)\s+professional)"
    r"|call\s+(?:999|911|112|111|nhs\s+111|an\s+ambulance)"
    r"|go\s+to\s+(?:a&e|an?\s+emergency|the\s+emergency|hospital)"
    r"|medical\s+attention"
    r")",
    re.IGNORECASE,
)
# Which level of the "when to get medical help" callouts a sentence belongs in.
EMERGENCY_HELP = re.compile(
    r"\b(?:999|911|112|ambulance|a&e|emergency|immediately|right away|straight away)\b",
    re.IGNORECASE,
)
URGENT_HELP = re.compile(
    r"\b(?:111|urgent(?:ly)?|promptly|as soon as possible|same day|today)\b", re.IGNORECASE
)
# Line starts that Markdown would turn into a heading, list, quote or rule.
MARKDOWN_BLOCK_START = re.compile(r"^(?:#|>|[-*+](?:\s|$)|[-*_=]{3,}\s*$)")
MARKDOWN_ORDERED_LIST_START = re.compile(r"^(\d+)([.)])(\s)")

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
    def plain_text(self) -> str:
        headings = [section.heading for section in self.sections]
        return "\n".join([self.title, *self.intro, *headings, *self.paragraphs])

    @property
    def body(self) -> str:
        """The introduction and sections as Markdown, each section under a `##` heading."""
        blocks = [as_markdown_paragraph(paragraph) for paragraph in self.intro]
        for section in self.sections:
            blocks.append(f"## {section.heading}")
            blocks += [as_markdown_paragraph(paragraph) for paragraph in section.paragraphs]
        if self.closing_advice:
            blocks += ["## What you can do", as_markdown_paragraph(self.closing_advice)]
        return "\n\n".join(blocks)

    @property
    def medical_help_by_level(self) -> dict[str, str]:
        """Sentences of the article that advise getting medical help, copied (a paragraph
        each) into the level they ask for: "emergency", "urgent" or "non_urgent"."""
        advice = {"emergency": [], "urgent": [], "non_urgent": []}
        for paragraph in self.paragraphs:
            for sentence in split_sentences(paragraph):
                if not MEDICAL_HELP.search(sentence):
                    continue
                if EMERGENCY_HELP.search(sentence):
                    level = "emergency"
                elif URGENT_HELP.search(sentence):
                    level = "urgent"
                else:
                    level = "non_urgent"
                if sentence not in advice[level]:
                    advice[level].append(sentence)
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
    def plain_text(self) -> str:
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


def read_text(path: Path) -> str:
    """The file's text, or ImportFileError if it isn't UTF-8 text."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFileError(f"cannot read the file ({error.strerror or error})") from error
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("not UTF-8 text (it looks like UTF-16; save it as UTF-8)")
    if b"\x00" in data:
        raise ImportFileError("binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError("not UTF-8 text") from error
    if any(ord(char) < 32 and char not in "\t\n\r\f\v" for char in text):
        raise ImportFileError("binary file, not text")
    return text


def parse_article(text: str) -> ParsedCondition | ParsedFaq:
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
        return parse_faq(lines)
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


def parse_faq(lines: list[str]) -> ParsedFaq:
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


def lowercase_name(name: str) -> str:
    # "Neck pain" reads as "neck pain" mid-sentence; an abbreviation ("TMJ pain") stays.
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def shorten(text: str, length: int = 80) -> str:
    return text if len(text) <= length else f"{text[: length - 1]}…"


# Symptom vocabulary.


@dataclass
class SymptomMatcher:
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


def load_vocabulary() -> list[SymptomMatcher]:
    """Every symptom in the database with a pattern matching its name and synonyms."""
    matchers = []
    for symptom in Symptom.objects.all():
        # Longest first, so "muscle spasm" is preferred to "spasm" where both match.
        terms = sorted({term.lower() for term in symptom.terms}, key=len, reverse=True)
        alternatives = "|".join(term_pattern(term) for term in terms)
        matchers.append(SymptomMatcher(symptom, re.compile(alternatives, re.IGNORECASE)))
    return matchers


def mentioned_symptoms(text: str, vocabulary: list[SymptomMatcher]) -> list[Symptom]:
    """The symptoms `text` mentions, most mentioned first (then by first mention)."""
    found = []
    for matcher in vocabulary:
        mentions = matcher.mentions(text)
        if mentions:
            found.append((-len(mentions), mentions[0].start(), matcher.symptom))
    return [symptom for *_, symptom in sorted(found, key=lambda row: row[:2])]


# Saving.


def save_article(
    parsed: ParsedCondition | ParsedFaq,
    source: str,
    vocabulary: list[SymptomMatcher],
    *,
    publish: bool,
) -> tuple[Article, bool]:
    """Create or update the article imported from `source`. Returns (article, created)."""
    symptoms = mentioned_symptoms(parsed.plain_text, vocabulary)
    model = ConditionArticle if parsed.kind == Article.Kind.CONDITION else FaqArticle
    with transaction.atomic():
        existing = Article.objects.filter(import_source=source).first()
        if existing is None:
            # Article.save gives it a free slug made from the title.
            article = model(import_source=source)
        elif existing.kind != parsed.kind:
            raise ImportFileError(
                f"an earlier import of {source} made the {existing.get_kind_display()} article "
                f"“{shorten(existing.title, 60)}”; this file is a {parsed.kind.label} article, "
                f"so delete that one first"
            )
        else:
            # Updating keeps the slug, so links keep working, and keeps the status unless
            # --publish is given: re-importing never takes live content down.
            article = model.objects.get(pk=existing.pk)

        article.title = parsed.title
        article.summary = parsed.summary(symptoms)
        if isinstance(parsed, ParsedCondition):
            article.body = parsed.body
            help_by_level = parsed.medical_help_by_level
            article.when_to_get_medical_help = help_by_level["non_urgent"]
            article.urgent_help = help_by_level["urgent"]
            article.emergency_help = help_by_level["emergency"]
        if publish:
            article.status = Article.Status.PUBLISHED
        article.save()
        article.symptoms.set(symptoms)
        if isinstance(parsed, ParsedFaq):
            replace_faq_items(article, parsed.entries)
    return article, existing is None


def replace_faq_items(faq: FaqArticle, entries: list[FaqEntry]) -> None:
    """Replace the FAQ's questions, keeping the anchor of every question that is unchanged."""
    old_anchors = defaultdict(list)
    for item in faq.items.order_by("position", "id"):
        old_anchors[item.question].append(item.anchor)
    faq.items.all().delete()

    items = [
        FaqItem(
            faq=faq,
            question=entry.question,
            answer=entry.answer,
            position=position,
            anchor=old_anchors[entry.question].pop(0) if old_anchors[entry.question] else "",
        )
        for position, entry in enumerate(entries)
    ]
    # Items keeping their anchor go first, so a new question can't take an anchor that a
    # kept one still needs.
    for item in sorted(items, key=lambda item: not item.anchor):
        item.save()


# Running an import.


@dataclass
class FileOutcome:
    path: str
    action: str  # "created", "updated" or "failed"
    detail: str  # the article's title, or why the file failed


def find_files(paths: Iterable[str]) -> Iterator[tuple[str, Path | None, str]]:
    """(path as shown, path, problem) for every file named or inside a folder named."""
    seen = set()
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files = sorted(
                found
                for found in path.rglob("*.txt")
                if found.is_file()
                and not any(part.startswith(".") for part in found.relative_to(path).parts)
            )
            if not files:
                yield name, None, "folder has no .txt files"
        elif path.is_file():
            files = [path]
        elif path.exists():
            yield name, None, "not a file or a folder"
            continue
        else:
            yield name, None, "no such file or folder"
            continue
        for file in files:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                yield (name if file is path else str(file)), file, ""


def import_paths(paths: Iterable[str], *, publish: bool) -> Iterator[FileOutcome]:
    """Import every file in `paths`, one outcome per file; a failed file changes nothing."""
    vocabulary = load_vocabulary()
    imported_sources: dict[str, str] = {}
    for shown, path, problem in find_files(paths):
        if problem:
            yield FileOutcome(shown, "failed", problem)
            continue
        source = path.name
        try:
            if len(source) > SOURCE_LENGTH:
                raise ImportFileError(f"file name too long (at most {SOURCE_LENGTH} characters)")
            if source in imported_sources:
                # Files are matched to articles by name, so the second would overwrite the first.
                raise ImportFileError(
                    f"same file name as {imported_sources[source]}, imported earlier in this run"
                )
            parsed = parse_article(read_text(path))
            article, created = save_article(parsed, source, vocabulary, publish=publish)
        except ImportFileError as error:
            yield FileOutcome(shown, "failed", str(error))
            continue
        imported_sources[source] = shown
        yield FileOutcome(shown, "created" if created else "updated", article.title)
