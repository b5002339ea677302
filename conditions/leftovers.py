"""Scraped leftovers: bits of a web page that came along with an article's text.

Truncation marks ("at the base…"), link and button text ("Read More"), numbered lists run
together on one line ("1 Tension headache… 2 Upper neck…"), advertising and cookie-banner
text. Readers can't make sense of them, and a cut-off sentence may have lost the part that
mattered. The importer warns about them per file and line; an article whose text has any is
flagged "needs editing" in the admin, worked out again from its text on every save (see
`Article.editing_problems`), so fixing the text clears the flag.

Pure functions on text, no database. Every pattern is linear in the text's length: none has
a repetition inside a repetition, and each line is checked on its own.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class LeftoverKind:
    """One kind of leftover: what an editor is told, and how it is found in a line."""

    description: str
    pattern: re.Pattern


# Each kind, and why it counts. A false alarm costs an editor a glance; a missed one leaves a
# cut-off sentence on a medical page, so these lean towards warning.
LEFTOVER_KINDS = [
    # A scraper's or search snippet's "…" where the text was cut: whatever followed, perhaps
    # the advice that mattered, is missing. At the end of a sentence or the line, not between
    # words ("and/or…so" is rare and still worth a look).
    LeftoverKind(
        "text cut off (a truncation mark, … or ...)",
        re.compile(r"(?:…|(?<!\.)\.\.\.(?!\.))(?=[\"'”’)\]]*(?:\s|$))"),
    ),
    # Link and button text. "Read more about posture on the NHS website" is prose, so the
    # phrase counts only where a button would be: at the end of the line (maybe with an arrow
    # or "…"), or in a page's Title Case ("Read More Can you have…").
    LeftoverKind(
        "“Read more” or other button text from a web page",
        re.compile(
            r"(?<!\w)(?:(?i:read\s+more|continue\s+reading|show\s+more|see\s+more|view\s+more)"
            r"(?=\s*(?:[»›→>]|\.\.\.|…)?\s*$)"
            r"|Read\s+More|Continue\s+Reading|Show\s+More|See\s+More|View\s+More)(?!\w)"
        ),
    ),
    # "Click here" means nothing on a printed handout or to a screen reader, and in scraped
    # text the link it named is gone.
    LeftoverKind(
        "“Click here”: link text from a web page",
        re.compile(r"(?<!\w)click\s+here(?!\w)", re.IGNORECASE),
    ),
    # An advert's label: alone, or run into the next sentence ("Advertisement Neck pain is…").
    LeftoverKind(
        "an advert’s label (“Advertisement”, “Sponsored”)",
        re.compile(
            r"(?<!\w)(?:Advertisement|ADVERTISEMENT|Sponsored\s+content|SPONSORED)"
            r"(?=\s*$|\s+[A-Z])"
        ),
    ),
    # Cookie banners and page furniture never belong in an article about the neck.
    LeftoverKind(
        "cookie banner or page furniture (“We use cookies”, “Skip to content”)",
        re.compile(
            r"(?<!\w)(?:we\s+use\s+cookies|this\s+(?:site|website)\s+uses\s+cookies"
            r"|accept\s+(?:all\s+)?cookies|cookie\s+(?:policy|settings|preferences|consent)"
            r"|skip\s+to\s+(?:main\s+)?content|(?:subscribe\s+to|sign\s+up\s+for)\s+our\s+"
            r"newsletter)(?!\w)",
            re.IGNORECASE,
        ),
    ),
    # A picture from another site (`![x](https://…)`, `![x](photo.jpg)`): the sanitiser
    # shows nothing for it, so a diagram the text refers to would silently be missing. The
    # words stay in the text for an editor to replace with a library image, placed as
    # `![alt](image:42)` (see conditions.image_references).
    LeftoverKind(
        "an image the site can't show (only library images, ![alt](image:42), appear on pages)",
        # (No bracket inside the alt text: each try reads no further than the next bracket.)
        re.compile(r"!\[[^\[\]\n]*\]\((?!image:\d{1,18}(?:\s{1,10}\"[^\"\n]{0,100}\")?\))"),
    ),
]

# A numbered list run together on one line, as a search snippet flattens one: "Means 1
# Tension headache. Tension headaches are… 2 Upper neck injury…". An item 1 followed by a
# capitalised word, and later an item 2 right after a sentence's end. "Type 1 diabetes" and
# a Markdown list (an item a line) don't match.
FIRST_ITEM = re.compile(r"(?<![\w.,/:-])1[.)]?\s+(?=[A-Z])")
SECOND_ITEM = re.compile(r"[.…!?:]\s+2[.)]?\s+(?=[A-Z])")
RUN_TOGETHER_LIST = "a numbered list run together on one line (“1 … 2 …”)"

# Lines that are nothing but a web page's link, button or advert label. The importer leaves
# these out: they hold no words of the article, so nothing medical can be lost. Everything
# else it only warns about, because deciding what a cut sentence meant is an editor's job,
# and deleting a part of a line could change what the rest says.
REMOVABLE_LINE = re.compile(
    r"(?i:read\s+more|continue\s+reading|show\s+more|see\s+more|view\s+more|click\s+here)"
    r"\s*(?:[»›→>]|\.\.\.|…)?"
    r"|Advertisement|ADVERTISEMENT|Sponsored\s+content|SPONSORED"
)

EXCERPT_LENGTH = 60


@dataclass(frozen=True)
class Leftover:
    """A kind of leftover found in a line: how many times, and the text around the first."""

    description: str
    count: int
    excerpt: str

    def __str__(self) -> str:
        times = f", {self.count} times" if self.count > 1 else ""
        return f"{self.description}{times}: “{self.excerpt}”"


def leftovers_in_line(line: str) -> list[Leftover]:
    """Every kind of leftover in one line (or paragraph) of text."""
    found = []
    for kind in LEFTOVER_KINDS:
        matches = list(kind.pattern.finditer(line))
        if matches:
            found.append(Leftover(kind.description, len(matches), excerpt(line, matches[0])))
    if (first := FIRST_ITEM.search(line)) and SECOND_ITEM.search(line, first.end()):
        found.append(Leftover(RUN_TOGETHER_LIST, 1, excerpt(line, first)))
    return found


def leftovers_in_text(text: str) -> list[Leftover]:
    """Every leftover in `text`, a line at a time: a Markdown list, an item a line, is fine."""
    return [leftover for line in text.splitlines() for leftover in leftovers_in_line(line)]


def excerpt(line: str, match: re.Match) -> str:
    """The text around `match`, on one line, short enough to quote in a warning."""
    half = (EXCERPT_LENGTH - len(match[0])) // 2
    start = max(0, match.start() - max(half, 0))
    end = min(len(line), max(match.end(), start + EXCERPT_LENGTH))
    text = " ".join(line[start:end].split())
    return f"{'…' if start > 0 else ''}{text}{'…' if end < len(line) else ''}"


def is_removable_line(line: str) -> bool:
    """Whether a whole line is only a link, button or advert label (safe to leave out)."""
    return bool(REMOVABLE_LINE.fullmatch(line.strip()))


def editing_problems(parts: Iterable[tuple[str, str]]) -> list[str]:
    """A line per leftover in the named `parts` of an article ("the summary", its text),
    naming the part: what the admin lists under "needs editing"."""
    return [f"{name}: {leftover}" for name, text in parts for leftover in leftovers_in_text(text)]
