"""What conditions are called: the entries of the conditions A–Z, and the names the importer
proposes for an imported article.

The A–Z lists each published condition article under its condition name (its title while it
has none), each of its other names, and the conditions its sections explain. The entries are
one database query (a UNION of the three), ordered and paginated by the database, so a page
costs the same at 10,000 articles as at ten.
"""

import re
from dataclasses import dataclass

from django.db.models import CharField, F, IntegerField, QuerySet, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.urls import reverse

from conditions.models import ConditionArticle, ConditionName, published_q

# An entry's kind, also the order of entries with the same name: the article's own first.
ARTICLE, ALSO_CALLED, EXPLAINED = 0, 1, 2


@dataclass
class AToZEntry:
    """One line of an A–Z (includes/a_to_z.html): of the conditions, or of the symptoms.

    Every attribute the template asks for is here: a lookup that fails costs Django's
    template engine a `dir()` of the object, and a number it shows a localisation (about
    40% of the time of the symptoms A to Z when it listed Symptom rows)."""

    name: str
    url: str
    summary: str = ""  # an article's own entry: its summary
    see: str = ""  # another name of a condition: the name its article is listed under
    explained_in: str = ""  # a condition one section explains: the article's title
    articles: str = ""  # a symptom: how many published articles it has, e.g. "3 articles"

    def get_absolute_url(self) -> str:
        return self.url


def _listed_name(prefix: str = ""):
    """The name an article is listed under: its condition name, or its title."""
    return Coalesce(NullIf(F(f"{prefix}condition_name"), Value("")), F(f"{prefix}title"))


def _entry_parts(*columns: str) -> list[QuerySet]:
    """The three kinds of entry, each selecting `columns` of the same names, in the same
    order (every column is an annotation, so a UNION's columns line up).

    The articles are two parts, those listed under their condition name and those under
    their title, so that each part's name is one indexed column: a page of the A–Z then
    reads its names from the indexes, where the name picked from two tables (Coalesce) made
    it read every entry (a third of a second at 100,000 articles)."""
    return [
        _articles("condition_name").exclude(condition_name="").order_by().values_list(*columns),
        _articles("title").filter(condition_name="").order_by().values_list(*columns),
        _names(ALSO_CALLED).filter(section="").order_by().values_list(*columns),
        _names(EXPLAINED).exclude(section="").order_by().values_list(*columns),
    ]


def _articles(listed_under: str) -> QuerySet:
    text, number = CharField(), IntegerField()
    return ConditionArticle.objects.published().annotate(
        entry_sort=Lower(listed_under),
        entry_name=F(listed_under),
        entry_kind=Value(ARTICLE, output_field=number),
        entry_row=F("pk"),
        entry_slug=F("slug"),
        entry_section=Value("", output_field=text),
        entry_see=Value("", output_field=text),
        entry_title=Value("", output_field=text),
        entry_summary=F("summary"),
    )


def _names(kind: int) -> QuerySet:
    text, number = CharField(), IntegerField()
    return ConditionName.objects.filter(published_q("article__")).annotate(
        entry_sort=Lower("name"),
        entry_name=F("name"),
        entry_kind=Value(kind, output_field=number),
        entry_row=F("pk"),
        entry_slug=F("article__slug"),
        entry_section=F("section"),
        entry_see=_listed_name("article__"),
        entry_title=F("article__title"),
        entry_summary=Value("", output_field=text),
    )


ENTRY_COLUMNS = [
    "entry_sort",
    "entry_kind",
    "entry_row",
    "entry_name",
    "entry_slug",
    "entry_section",
    "entry_see",
    "entry_title",
    "entry_summary",
]
# By name; then the article's own entry before other entries of the same name; then by row,
# so that every page of the list is cut from the same order.
ENTRY_ORDER = ["entry_sort", "entry_kind", "entry_row"]


@dataclass
class PageStart:
    """Where a page of the A–Z starts and ends, from a walk over every entry's sort name."""

    first: str  # the sort name of its first entry
    skip: int  # how many entries with that sort name are on earlier pages
    last: str  # the sort name of its last entry


@dataclass
class AToZOutline:
    """The whole A–Z in outline: how many entries, the pages, and each letter's first page."""

    total: int
    pages: list[PageStart]
    letter_starts: list[tuple[str, int]]


def outline(per_page: int, initial) -> AToZOutline:
    """One walk over every entry's sort name (in the database's order, which decides how
    names sort). `initial` gives the letter a name is listed under."""
    names = [sort_name for sort_name, *_ in _ordered(_entry_parts(*ENTRY_ORDER))]
    pages = []
    for start in range(0, len(names), per_page):
        first, earlier = names[start], start
        while earlier and names[earlier - 1] == first:
            earlier -= 1
        last = names[min(start + per_page, len(names)) - 1]
        pages.append(PageStart(first=first, skip=start - earlier, last=last))
    letter_starts = {}
    for position, name in enumerate(names):
        letter_starts.setdefault(initial(name), position // per_page + 1)
    return AToZOutline(len(names), pages, list(letter_starts.items()))


def page_rows(page: PageStart, per_page: int) -> list[tuple]:
    """The rows (of ENTRY_COLUMNS) of one page. Only the entries whose names sort between
    its first and last are read and sorted, not all of them: at 10,000 articles sorting
    every entry with all its columns cost most of the page's time."""
    parts = [
        part.filter(entry_sort__gte=page.first, entry_sort__lte=page.last)
        for part in _entry_parts(*ENTRY_COLUMNS)
    ]
    return list(_ordered(parts)[page.skip : page.skip + per_page])


def _ordered(parts: list[QuerySet]) -> QuerySet:
    first, *rest = parts
    return first.union(*rest, all=True).order_by(*ENTRY_ORDER)


def as_entry(row: tuple) -> AToZEntry:
    """An entry to show, from a row of ENTRY_COLUMNS."""
    _, kind, _, name, slug, section, see, title, summary = row
    url = reverse("conditions:condition", args=[slug]) + (f"#{section}" if section else "")
    if kind == ARTICLE:
        return AToZEntry(name=name, url=url, summary=summary)
    if kind == ALSO_CALLED:
        return AToZEntry(name=name, url=url, see=see)
    return AToZEntry(name=name, url=url, explained_in=title)


# What the importer proposes. The editor confirms (or changes) them in the admin, and they
# go through the same medical sign-off as the rest of the article.

# A title that asks what causes something, or what it is: "What causes neck stiffness?"
QUESTION_OPENING = re.compile(
    r"^(?:what|which)\s+(?:causes?|is|are|can\s+cause)\s+(?:the\s+|a\s+|an\s+)?"
    r"|^why\s+(?:do|does|is|am|are)\s+(?:i|my|you|your)?\s*(?:get\s+|have\s+)?"
    r"|^how\s+(?:do|does|can|to)\s+(?:i|you)?\s*(?:treat|relieve|stop|get\s+rid\s+of)\s+",
    re.IGNORECASE,
)
QUESTION_END = re.compile(r"[\s?\"'”’)\]]+$")


def proposed_condition_name(title: str) -> str:
    """A plain name for the article when its title is a question ("What causes neck
    stiffness?" → "Neck stiffness"), or "" when the title is not one."""
    if not title.rstrip().rstrip("\"'”’)]").endswith("?"):
        return ""
    name = QUESTION_END.sub("", QUESTION_OPENING.sub("", title.strip()))
    if not name or name.lower() == QUESTION_END.sub("", title.strip()).lower():
        return ""
    return name[:1].upper() + name[1:]


def proposed_section_names(headings: list[str], contents: list[dict]) -> list[ConditionName]:
    """Unsaved other names for the conditions an imported article's numbered sections explain:
    each heading in sentence case ("Muscle Tension and Fatigue" → "Muscle tension and
    fatigue"), pointing at its section's anchor as the page renders it (`contents`, the
    rendered body's headings, which start with the sections' in the same order)."""
    # The body's headings start with the sections' and may go on ("What you can do").
    sections = zip(headings, contents, strict=False)
    return [
        ConditionName(name=sentence_case(heading), section=section["id"], position=position)
        for position, (heading, section) in enumerate(sections, start=1)
    ]


def sentence_case(heading: str) -> str:
    """A heading in title case as a name in running text; words in capitals ("NHS", "C1")
    are kept as they are."""
    first, *rest = heading.split(" ")
    return " ".join([first, *(word if word.isupper() else word.lower() for word in rest)])
