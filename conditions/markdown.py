"""Markdown to safe HTML: the one place article text becomes markup.

Articles store the rendered HTML next to the Markdown (rendered on save), so pages never
render Markdown per request. Whatever an editor or an import types, only the allow-listed
tags, attributes and URL schemes below can reach a public page.

Python-Markdown's work does not grow with a text's length alone: some texts take seconds or
minutes, others overflow Python's stack. `markdown_problem` says why a text can't be accepted,
for the editor's form and the importer, and `render_markdown` never gives such a text to
Python-Markdown (it shows it as escaped paragraphs instead), whoever saved it.
"""

import re
import threading
from bisect import bisect_left
from html import escape as html_escape
from html import unescape as html_unescape

import markdown
import nh3
from django.utils.html import strip_tags

from conditions.image_references import ImageMarkers, ImageReferenceExtension, PageImages

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i",
    "ul", "ol", "li", "a", "blockquote", "code", "pre", "abbr", "sub", "sup",
    "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd",
}  # fmt: skip

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "ol": {"start"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}

# Relative links (to other NeckInfo pages) stay allowed; any other scheme, javascript:
# and data: among them, is dropped with the href.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}

LEVEL_ONE_HEADING = re.compile(r"<(/?)h1\b", re.IGNORECASE)

# Limits on one field of Markdown. Python-Markdown's work does not follow a text's length:
# it spends about 0.4 µs on a character of prose but 30–120 µs on each paragraph, list item,
# heading, table cell, link or bold word; some of its scans are quadratic when the end they
# look for is missing (from every "[" to the "]" closing it, from every "](" to the ")"
# closing the link's address, from every "<" that starts an HTML tag to the ">" ending it);
# it searches a paragraph again after each heading or rule line in it; and each level of
# nesting costs Python stack frames (about 400 levels of lists, or 800 of bold and italic,
# overflow the stack). So a text is limited in length, in nesting, and in its estimated
# rendering time, counted from the costs below: CPU time on this (production-sized)
# machine, measured by bench/markdown_bench.py, which also renders the costliest texts the
# limits accept (about 100 ms). An NHS-style article of 2,500 words with 2 tables, 9 lists
# and a reference list of 200 links (33,000 characters) is estimated at about 75 ms and
# renders in about 65 ms; the sample articles in under 5 ms.
MAX_MARKDOWN_LENGTH = 50_000
MAX_RENDER_MICROSECONDS = 100_000
# Lists and quotes inside each other; a real article needs three levels at most.
MAX_NESTING = 8
# "*" and "_" in one paragraph or list item. Bold and italic can nest half as deep as there
# are marks, and deep nesting costs the square of its depth (about 35 ms at 250 levels).
MAX_EMPHASIS_MARKS = 200
# Microseconds Python-Markdown spends on…
COST_OF_CHARACTER = 0.4
COST_OF_HEADING_CHARACTER = 0.5  # (more) the table of contents reads headings again
COST_OF_LINE = 75  # a paragraph, list item, table row or heading
COST_OF_HEADING = 55  # (more)
COST_OF_NESTING_LEVEL = 40  # each list item or quote inside another, on each line
COST_OF_MARK = {
    "[": 90,  # a link
    "<": 70,  # an HTML tag, or an address in angle brackets
    "|": 45,  # a table cell
    "*": 50,  # a run of "*" or "_": bold or italic
    "_": 50,
    "`": 25,  # a run of "`": code
    "&": 35,  # an entity
    "\\": 15,  # an escaped character
}
COST_OF_LINK_TEXT_SCANNING = 0.22  # each character of a link's text, read three times
COST_OF_ADDRESS_SCANNING = 0.35  # each character of a link's address
COST_OF_TAG_SCANNING = 0.1  # each character read looking for the end of an HTML tag
COST_OF_SEARCHING_AGAIN = 0.03  # each character after a heading or rule line in a paragraph

# A character Python-Markdown's escaping or code spans replace with a placeholder of about
# 14 characters before it looks for links (util.INLINE_PLACEHOLDER).
PLACEHOLDER_LENGTH = 14
ESCAPE_OR_CODE = re.compile(r"[\\`]")
SPACES_ONLY_LINE = re.compile(r"(?<=\n) +\n")
# Where a line may open a list or quote, or be indented (nested).
NESTED_LINE_START = re.compile(r"^(?: {4}| *(?:>|[*+-] |\d+[.)] ))", re.MULTILINE)
CONTAINER_MARKER = re.compile(r" *(?:>|[*+-](?= )|\d+[.)](?= ))")
LIST_ITEM_LINE = re.compile(r"^ *(?:[*+-]|\d+[.)]) ", re.MULTILINE)
# A heading, a rule, or the underline of a heading: Python-Markdown splits a block there.
SPLITTING_LINE = re.compile(
    r"^(?:#| *(?:=+|-+) *$| {0,3}(?:(?:- {0,2}){3,}|(?:_ {0,2}){3,}|(?:\* {0,2}){3,}) *$)",
    re.MULTILINE,
)
# A horizontal rule such as "- - -" is not a list (Python-Markdown's HRProcessor).
# (One mark a repetition, so that a long run of them can't make the search backtrack.)
HORIZONTAL_RULE = re.compile(r" {0,3}(?:(?:- {0,2}){3,}|(?:_ {0,2}){3,}|(?:\* {0,2}){3,}) *$")
NON_BLANK_LINE = re.compile(r"^ *[^ \n]", re.MULTILINE)
# A "#" heading, or the line above a "===" or "---" underline.
HEADING_TEXT = re.compile(r"^ *#.*|^.+(?=\n *(?:=+|-+) *$)", re.MULTILINE)
# Marks that can each start a link, tag, entity, escape, table cell, code or emphasis; a run
# of "*", "`" or "_" counts once. An "_" inside a word ("snake_case") is plain text.
SINGLE_MARKS = "[<&\\|"
# (Possessive, and from the start of a run only, so that a long run can't make it backtrack.)
UNDERSCORE_MARK = re.compile(r"(?=_)(?:(?<!\w)_++|(?<!_)_++(?!\w))")
MARK_RUNS = {"*": re.compile(r"\*+"), "`": re.compile(r"`+"), "_": UNDERSCORE_MARK}
ESCAPED_CHARACTER = re.compile(r"\\.")
OPENING_BRACKET = re.compile(r"\[")
# ReferenceInlineProcessor.RE_LINK: "[text][id]" or "[text] [id]".
REFERENCE_ID = re.compile(r"\s?\[")
# LinkInlineProcessor.RE_LINK: an address in angle brackets ends at its ">".
ANGLE_ADDRESS = re.compile(r"""\(\s*(?:(<[^<>]*>)\s*(?:('[^']*'|"[^"]*")\s*)?\))?""")
PARENTHESIS = re.compile(r"[()]")
# Parentheses followed inside one link address; more than real addresses ever have.
MAX_NESTED_PARENTHESES = 20
QUOTE_MARK = re.compile(r"""['"]""")
TITLE_END = {"'": re.compile(r"' *\)"), '"': re.compile(r'" *\)')}
TAG_OPENING = re.compile(r"<[A-Za-z/!?]")


def render_markdown(text: str, images: PageImages | None = None) -> str:
    """Render an editor's Markdown to sanitised HTML.

    Headings get ids so that a contents list or a shared link can point at a section, and
    a level-one heading becomes h2: the page's title is its only h1. Text that
    `markdown_problem` refuses is shown as escaped paragraphs of plain text instead.
    Library images the text references (`![alt](image:42 "medium right")`) are shown from
    `images` (see conditions.image_references); without it (a symptom's advice), or when the
    image can't be shown, a reference stays as the words the editor wrote.
    """
    if not text.strip():
        return ""
    if markdown_problem(text):
        return escaped_paragraphs(text)
    return _rendered(text, images)


def _rendered(text: str, images: PageImages | None = None) -> str:
    """`text` through Python-Markdown and the sanitiser, whatever it costs."""
    converter = _converter().reset()
    # The sanitiser below lets no <img> or <picture> through: library images are put in
    # after it, from markers only this rendering knows.
    markers = ImageMarkers(images) if images is not None else None
    converter.treeprocessors["image_references"].markers = markers
    try:
        html = converter.convert(text)
    except BaseException:
        # A conversion stopped half-way leaves state behind (its block parser's, for one)
        # that would garble every later text: the next conversion gets a new converter.
        del _converters.markdown
        raise
    html = LEVEL_ONE_HEADING.sub(r"<\1h2", html)
    html = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return markers.replace(html) if markers is not None else html


_converters = threading.local()


def _converter() -> markdown.Markdown:
    # Building a converter costs about 1 ms, more than rendering a short answer; one per
    # thread, because a converter holds the state of the text it is converting.
    if not hasattr(_converters, "markdown"):
        _converters.markdown = markdown.Markdown(
            extensions=["toc", "tables", "sane_lists", ImageReferenceExtension()],
            output_format="html",
        )
    return _converters.markdown


def escaped_paragraphs(text: str) -> str:
    """`text` as escaped paragraphs, one for each run of lines between blank lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraphs, current = [], []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append(html_escape("\n".join(current)))
            current = []
    return "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)


def markdown_problem(text: str) -> str | None:
    """Why `text` can't be accepted as article Markdown, in one sentence its editor can act
    on, or None. Takes time linear in the text's length (about 1 ms for 3,000 characters)."""
    if len(text) > MAX_MARKDOWN_LENGTH:
        return (
            f"This text is {len(text):,} characters long; "
            f"the most a field can hold is {MAX_MARKDOWN_LENGTH:,}."
        )
    return RenderCost(text).problem


def estimated_render_microseconds(text: str) -> float:
    """What rendering `text` is estimated to cost; once past MAX_RENDER_MICROSECONDS, only
    that it is (for benchmarks)."""
    return RenderCost(text).microseconds


def as_markdown_reads_it(text: str) -> str:
    """`text` with line ends, tabs and blank lines as Python-Markdown's NormalizeWhitespace
    makes them, so that paragraphs and lengths are those it works on."""
    source = text.replace("\x02", "").replace("\x03", "")
    source = source.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    return SPACES_ONLY_LINE.sub("\n", source)


class RenderCost:
    """What rendering a text is estimated to cost, and the first problem found.

    It is worked out in steps, the cheapest first, and stops at the first problem, so that
    each step's work in Python is bounded by the costs counted before it: a text with too
    many lines or marks is refused before they are looked at one by one.
    """

    def __init__(self, text: str):
        self.source = as_markdown_reads_it(text)
        self.microseconds = 0.0
        self.problem: str | None = None
        # Scans of links and tags: their cost, and the costliest (microseconds, position,
        # what it found left open), of all and of those that found no end.
        self.scanning = 0.0
        self.costliest_scan = self.costliest_unclosed = (0.0, 0, "")
        for step in (
            self._count_formatting,
            self._check_nesting,
            self._count_searching_again,
            self._check_emphasis,
            self._scan_links,
            self._scan_tags,
        ):
            self.problem = step()
            if self.problem:
                return

    @property
    def budget(self) -> float:
        return MAX_RENDER_MICROSECONDS - self.microseconds

    def _count_formatting(self) -> str | None:
        source = self.source
        self.marks = marks = {mark: source.count(mark) for mark in SINGLE_MARKS}
        for mark, runs in MARK_RUNS.items():
            marks[mark] = len(runs.findall(source)) if mark in source else 0
        headings = [heading for heading in HEADING_TEXT.findall(source) if heading.strip()]
        lines = len(NON_BLANK_LINE.findall(source))
        self.formatting_count = lines + sum(marks.values())
        self.microseconds += (
            COST_OF_CHARACTER * len(source)
            + COST_OF_HEADING_CHARACTER * sum(map(len, headings))
            + COST_OF_LINE * lines
            + COST_OF_HEADING * len(headings)
            + sum(COST_OF_MARK[mark] * count for mark, count in marks.items())
        )
        return self._too_much_formatting()

    def _too_much_formatting(self) -> str | None:
        if self.budget >= 0:
            return None
        excess = self.microseconds / MAX_RENDER_MICROSECONDS - 1
        mark, count = max(self.marks.items(), key=lambda item: COST_OF_MARK[item[0]] * item[1])
        most = (
            f" ({count:,} of them “{mark}”)"
            if COST_OF_MARK[mark] * count > self.microseconds / 2
            else ""
        )
        return (
            f"This text has too much formatting to show quickly: {self.formatting_count:,} "
            "paragraphs, list items, headings, table cells, links and other marks "
            f"in {len(self.source):,} characters{most}, about {excess:.0%} more than a field "
            "can take; split it up or simplify its formatting."
        )

    def _check_nesting(self) -> str | None:
        """Lists and quotes nested too deep; counts the levels of nesting of every line."""
        source = self.source
        levels = 0
        for line_start in NESTED_LINE_START.finditer(source):
            start = line_start.start()
            line_end = source.find("\n", start)
            line = source[start : line_end if line_end >= 0 else len(source)]
            if HORIZONTAL_RULE.match(line):
                continue
            depth, position = 0, 0
            while depth <= MAX_NESTING and (marker := CONTAINER_MARKER.match(line, position)):
                depth, position = depth + 1, marker.end()
            # Every four spaces of indentation (before or between markers) nest one level.
            spaces = line[:position].count(" ") if depth else len(line) - len(line.lstrip(" "))
            depth += spaces // 4
            if depth > MAX_NESTING:
                return (
                    "Lists, quotes or indented lines are nested more than "
                    f"{MAX_NESTING} levels deep {_where(source, start)}; use fewer levels."
                )
            levels += depth
        self.formatting_count += levels
        self.microseconds += COST_OF_NESTING_LEVEL * levels
        return self._too_much_formatting()

    def _count_searching_again(self) -> str | None:
        """After each heading or rule line in a paragraph, Python-Markdown searches the rest
        of the paragraph again with each of its block processors."""
        paragraph_ends = [offset + len(paragraph) for offset, paragraph in _paragraphs(self.source)]
        searched = 0
        for line in SPLITTING_LINE.finditer(self.source):
            searched += paragraph_ends[bisect_left(paragraph_ends, line.start())] - line.start()
        self.microseconds += COST_OF_SEARCHING_AGAIN * searched
        return self._too_much_formatting()

    def _check_emphasis(self) -> str | None:
        for offset, paragraph in _paragraphs(self.source):
            if paragraph.count("*") + paragraph.count("_") <= MAX_EMPHASIS_MARKS:
                continue
            # The items of a list are separate elements: emphasis can't span them.
            starts = [0]
            if LIST_ITEM_LINE.match(paragraph):
                starts = [item.start() for item in LIST_ITEM_LINE.finditer(paragraph)]
            for start, end in zip(starts, [*starts[1:], len(paragraph)], strict=True):
                text = paragraph[start:end]
                marks = text.count("*") + sum(map(len, UNDERSCORE_MARK.findall(text)))
                if marks > MAX_EMPHASIS_MARKS:
                    where = _where(self.source, offset + start)
                    return (
                        f"The paragraph or list item starting {where} "
                        f"has {marks:,} * and _ marks (for bold and italic); one can have at "
                        f"most {MAX_EMPHASIS_MARKS:,}, so split it with blank lines."
                    )
        return None

    def _scan_links(self) -> str | None:
        """Python-Markdown's reading of links: from each "[" to the "]" closing it (three
        times: it tries reference links, links and short references), then for "](" to
        the ")" closing the address, or for "][" to the "]" closing the reference."""
        for offset, paragraph in _paragraphs(self.source):
            if "[" not in paragraph:
                continue
            link = _LinkReading(paragraph)
            for start, end in link.texts:
                cost = 3 * COST_OF_LINK_TEXT_SCANNING * link.read(start, end)
                left_open = "text" if end is None else ""
                if end is not None and paragraph.startswith("(", end):
                    address_end = link.address_end(end)
                    cost += COST_OF_ADDRESS_SCANNING * link.read(end, address_end)
                    left_open = "address" if address_end is None else ""
                elif end is not None and REFERENCE_ID.match(paragraph, end):
                    id_end = paragraph.find("]", end + 1)
                    read = link.read(end, None if id_end < 0 else id_end)
                    cost += COST_OF_LINK_TEXT_SCANNING * read
                if problem := self._add_scan(cost, offset + start, left_open):
                    return problem
        return None

    def _scan_tags(self) -> str | None:
        """Python's HTML parser (which Python-Markdown runs over the whole text) reads from
        "<" and a letter to the first ">" outside quoted attribute values, from "</" and
        "<?" to the next ">", from "<!--" to "-->", and from any other "<!" to the end."""
        source = self.source
        for opening in TAG_OPENING.finditer(source):
            start = opening.start()
            if source.startswith("<!--", start):
                end = source.find("-->", start)
            elif source[start + 1] == "!":
                end = -1
            elif source[start + 1] in "/?":
                end = source.find(">", start)
            else:
                end = _tag_end(source, start)
            read = (len(source) if end < 0 else end) - start
            if problem := self._add_scan(COST_OF_TAG_SCANNING * read, start, "tag" * (end < 0)):
                return problem
        return None

    def _add_scan(self, microseconds: float, position: int, left_open: str) -> str | None:
        """Count a scan's cost; once past the budget, say what to change."""
        self.microseconds += microseconds
        self.scanning += microseconds
        scan = (microseconds, position, left_open)
        self.costliest_scan = max(self.costliest_scan, scan)
        if left_open:
            self.costliest_unclosed = max(self.costliest_unclosed, scan)
        if self.budget >= 0:
            return None
        # Name the bracket or tag left open if it, or scanning as a whole, is to blame.
        cost, position, left_open = self.costliest_unclosed
        where = _where(self.source, position)
        if left_open and (
            cost >= MAX_RENDER_MICROSECONDS / 10 or self.scanning >= self.microseconds / 2
        ):
            return {
                "text": f"The “[” {where} has no “]” closing it in its paragraph; close it, "
                "or write \\[ for a bracket that isn't a link.",
                "address": f"The link {where} has no “)” closing its address, or has a quote "
                "mark in it that is never closed.",
                "tag": f"The “<” {where} starts what looks like an HTML tag with no “>” to "
                "end it; write &lt; for a less-than sign.",
            }[left_open]
        cost, position, _ = self.costliest_scan
        if cost >= MAX_RENDER_MICROSECONDS / 10:
            return (
                f"The text in square brackets or the link address {_where(self.source, position)} "
                "is too long for the site to read quickly; shorten it."
            )
        return self._too_much_formatting()


def _paragraphs(source: str):
    """(offset, paragraph) for each block Python-Markdown splits the text into. The text of
    any one element (a paragraph, list item, table cell) lies within one of them."""
    offset = 0
    for paragraph in source.split("\n\n"):
        yield offset, paragraph
        offset += len(paragraph) + 2


def _where(source: str, position: int) -> str:
    line = source.count("\n", 0, position) + 1
    excerpt = source[position : position + 20].split("\n", 1)[0]
    return f"on line {line:,} (“{excerpt}…”)"


class _LinkReading:
    """What Python-Markdown reads of the links in one paragraph. Its work in Python is
    bounded by the number of "[", escapes and code marks, which are counted as formatting."""

    def __init__(self, paragraph: str):
        self.paragraph = paragraph
        # Escapes and code marks become placeholders before links are looked for.
        self.placeholders = [match.start() for match in ESCAPE_OR_CODE.finditer(paragraph)]
        self.code_marks = [index for index in self.placeholders if paragraph[index] == "`"]
        self.unescaped = ESCAPED_CHARACTER.sub("\0\0", paragraph)
        self.texts = self._link_texts()

    def _link_texts(self) -> list[tuple[int, int | None]]:
        """For each "[", its position and just after the "]" closing it, or None. A code
        span could hide the closing "]", so one in between counts as none."""
        unescaped = self.unescaped
        texts, opened, position = [], [], 0
        for opening in [*OPENING_BRACKET.finditer(unescaped), None]:
            start = len(unescaped) if opening is None else opening.start()
            # The "]" before this "[" close the innermost open ones.
            for _ in range(min(unescaped.count("]", position, start), len(opened))):
                position = unescaped.index("]", position, start) + 1
                index = opened.pop()
                if not _count_between(self.code_marks, texts[index][0], position):
                    texts[index] = (texts[index][0], position)
            if opening is not None:
                opened.append(len(texts))
                texts.append((start, None))
                position = start + 1
        return texts

    def read(self, start: int, end: int | None) -> int:
        """How many characters Python-Markdown reads from `start` to `end` (None: to the end
        of the paragraph), where each escape and code mark has become a placeholder."""
        end = len(self.paragraph) if end is None else end
        placeholders = _count_between(self.placeholders, start, end)
        return end - start + placeholders * (PLACEHOLDER_LENGTH - 1)

    def address_end(self, start: int) -> int | None:
        """Just after the ")" at which LinkInlineProcessor.getLink stops for the "(" at
        `start`, or None if it may read on to the end of the paragraph."""
        paragraph = self.paragraph
        match = ANGLE_ADDRESS.match(paragraph, start)
        if match[1]:
            return match.end()
        # Nested parentheses count; a quote mark starts a title, which (as far as the
        # reading goes) ends at the first ")" following the same quote mark again.
        end = self._closing_parenthesis(start)
        quote = QUOTE_MARK.search(paragraph, start, len(paragraph) if end is None else end)
        if quote is not None:
            title_end = TITLE_END[quote[0]].search(paragraph, quote.end())
            end = title_end.end() if title_end else None
        if end is not None and _count_between(self.code_marks, start, end):
            return None  # a code span may hide the ")"
        return end

    def _closing_parenthesis(self, start: int) -> int | None:
        """Just after the ")" closing the "(" at `start`; None if there is none, or it is
        past more than MAX_NESTED_PARENTHESES others (then assume the end)."""
        depth, position = 1, start + 1
        for _ in range(MAX_NESTED_PARENTHESES):
            parenthesis = PARENTHESIS.search(self.unescaped, position)
            if parenthesis is None:
                return None
            depth += 1 if parenthesis[0] == "(" else -1
            position = parenthesis.end()
            if depth == 0:
                return position
        return None


def _count_between(positions: list[int], start: int, end: int) -> int:
    return bisect_left(positions, end) - bisect_left(positions, start)


def _tag_end(source: str, start: int) -> int:
    """The ">" ending the tag started at `start`, or -1 if the parser may read on to the end
    of the text. A quoted attribute value may hold ">"; past three of them, assume the end."""
    position = start
    for _ in range(3):
        end = source.find(">", position)
        quote = QUOTE_MARK.search(source, position, end) if end >= 0 else None
        if quote is None:
            return end
        closing = source.find(quote[0], quote.end())
        if closing < 0:
            return -1
        position = closing + 1
    return -1


HEADING_2 = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>', re.DOTALL)


def section_headings(html: str) -> list[dict[str, str]]:
    """The level-two headings of rendered HTML, for an "On this page" list."""
    return [{"id": anchor, "name": text_of_html(name)} for anchor, name in HEADING_2.findall(html)]


def text_of_html(rendered_html: str) -> str:
    """The words of rendered HTML: tags dropped, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html_unescape(strip_tags(rendered_html))).strip()
