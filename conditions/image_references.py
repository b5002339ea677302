"""Library images placed in article text, and an article's lead image.

An editor places an image with Markdown's image syntax and the `image:` scheme:

    ![Side view of the neck, showing the occipital nerves](image:42 "medium right")

The words in brackets are what a screen reader says for this use (part of the reviewed
text; empty brackets use the library's alt text); the quoted words choose a size (small,
medium, large, full; large when left out) and an alignment (left, right, centre; centre),
in either order. It is plain text in the Markdown fields, so it survives copy and paste,
revisions, restores and imports like any other words.

Rendering happens on save, like the rest of the Markdown: the article's HTML holds the
rendition addresses of each image's file as it was at that moment, and nothing re-renders a
live article when the library changes. So a live page shows an image as it was when the
article was signed off and published; drafts, working copies and the admin's preview are
rendered afresh and show the library as it is now (see `conditions.views`). What a sign-off
covers includes each image's file, alt text and caption (`conditions.editorial`).

Every image the texts of one article reference is read in one query, with its renditions
in one more (`PageImages.for_texts`), never one query per reference.
"""

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree import ElementTree

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

SIZES = ("small", "medium", "large", "full")
ALIGNMENTS = ("left", "right", "centre")
DEFAULT_SIZE, DEFAULT_ALIGNMENT = "large", "centre"
SCHEME = "image:"
# A reference's id: digits only, and not absurdly long (an id the database can hold).
IMAGE_ID = re.compile(r"\d{1,18}")
# Any reference with the `image:` scheme, well-formed or not: the ids to read in one query,
# and, for the preview's warnings, what the editor wrote. The alt text holds no bracket, so
# each try reads no further than the next one: a text of many "![" is read in linear time.
ANY_REFERENCE = re.compile(
    r"!\[([^\[\]\n]{0,1000})\]\(image:([^)\s]{0,40})(?:\s{1,10}\"([^\"\n]{0,100})\")?\)"
)
# Where an image's <figure> may stand in HTML: anywhere flow content may. A reference inside
# a heading, a link or bold text can't become a figure there, and stays text.
FLOW_CONTAINERS = {"div", "li", "td", "th", "dd", "blockquote"}


@dataclass(frozen=True)
class Reference:
    """One image reference as the editor wrote it."""

    alt: str
    target: str  # what follows "image:"
    options: str | None  # the quoted words, if any

    @property
    def text(self) -> str:
        """The reference as written, shown instead of an image that can't be shown."""
        options = f' "{self.options}"' if self.options is not None else ""
        return f"![{self.alt}]({SCHEME}{self.target}{options})"

    @property
    def image_id(self) -> int | None:
        return int(self.target) if IMAGE_ID.fullmatch(self.target) else None

    def size_and_alignment(self) -> tuple[str, str] | None:
        """(size, alignment) from the quoted words; None if a word is neither."""
        size, alignment = DEFAULT_SIZE, DEFAULT_ALIGNMENT
        for word in (self.options or "").lower().split():
            if word in SIZES:
                size = word
            elif word in ("center", "centre", *ALIGNMENTS):
                alignment = "centre" if word == "center" else word
            else:
                return None
        return size, alignment


def references_in(text: str) -> list[Reference]:
    """Every image reference in `text`, in order (read without rendering)."""
    if SCHEME not in text:
        return []
    return [Reference(*match.groups()) for match in ANY_REFERENCE.finditer(text)]


def referenced_ids(texts: Iterable[str]) -> set[int]:
    return {
        reference.image_id
        for text in texts
        for reference in references_in(text)
        if reference.image_id is not None
    }


@dataclass
class PageImages:
    """The library images one article's texts reference, read once for all its fields, and
    whether the next image shown is the first on the page (loaded at once, not lazily)."""

    images: dict = field(default_factory=dict)
    eager_left: bool = True

    @classmethod
    def for_texts(cls, texts: Iterable[str], *, lead_image_id: int | None = None) -> "PageImages":
        """The images `texts` reference (and the lead image): one query, and one more for
        their renditions; none when nothing is referenced."""
        from conditions.models import Image

        ids = referenced_ids(texts)
        if lead_image_id is not None:
            ids.add(lead_image_id)
        images = (
            Image.objects.filter(pk__in=ids).prefetch_related("renditions").in_bulk() if ids else {}
        )
        # The lead image opens the page: every image in the text is then below it.
        return cls(images=images, eager_left=lead_image_id is None)

    def problem(self, reference: Reference) -> str | None:
        """Why `reference` can't be shown as an image, in words for its editor; or None."""
        if reference.image_id is None:
            return f"“{reference.text}”: after “image:” comes the number of a library image."
        if reference.size_and_alignment() is None:
            return (
                f"“{reference.text}”: the quoted words choose a size ({', '.join(SIZES)}) "
                f"and an alignment ({', '.join(ALIGNMENTS)})."
            )
        if reference.image_id not in self.images:
            return f"“{reference.text}”: there is no image {reference.image_id} in the library."
        return None

    def figure(self, reference: Reference) -> SafeString:
        """The <figure> for a reference that has no problem."""
        from conditions.images import picture_html

        size, alignment = reference.size_and_alignment()
        lazy = not self.eager_left
        self.eager_left = False
        return picture_html(
            self.images[reference.image_id],
            size=size,
            align=alignment,
            lazy=lazy,
            alt=reference.alt.strip() or None,  # empty brackets: the library's alt text
        )


def problems_in(texts: Iterable[str], images: PageImages) -> list[str]:
    """What the admin's preview and form warn about: references that show as text."""
    return [
        problem
        for text in texts
        for reference in references_in(text)
        if (problem := images.problem(reference))
    ]


def problems_of(article, items=()) -> list[str]:
    """The references in `article`'s Markdown fields (and its FAQ `items`' answers) that show
    as text instead of an image: what the preview and a save warn about. Two queries."""
    names = ["body", "when_to_get_medical_help", "urgent_help", "emergency_help", "intro"]
    texts = [getattr(article, name, "") or "" for name in names]
    texts += [item.answer for item in items]
    if not any(SCHEME in text for text in texts):
        return []
    return problems_in(texts, PageImages.for_texts(texts))


# Rendering inside Python-Markdown.


class ImageReferenceTreeprocessor(Treeprocessor):
    """Turns each `<img src="image:…">` Python-Markdown made of a reference into a marker,
    which `ImageMarkers.replace` swaps for the image's <figure> after the sanitiser has run
    (the sanitiser allows no <img> or <picture> of an editor's own), or into the reference's
    own words when it can't be shown. A reference alone in its paragraph takes the
    paragraph's place; one inside a sentence ends the paragraph before it and starts a new
    one after it, since a <figure> can't stand inside a <p>."""

    markers: "ImageMarkers | None" = None

    def run(self, root: ElementTree.Element) -> None:
        for parent in list(root.iter()):
            for child in [child for child in parent if _is_reference(child)]:
                self._replace(parent, child)
        if self.markers is None or not self.markers.figures:
            return
        for parent in list(root.iter()):
            paragraphs = [
                child for child in parent if child.tag == "p" and self.markers.marks(child)
            ]
            for paragraph in paragraphs:
                _split_paragraph(parent, paragraph, self.markers)

    def _replace(self, parent: ElementTree.Element, image: ElementTree.Element) -> None:
        reference = Reference(
            alt=image.get("alt", ""), target=image.get("src", "")[len(SCHEME) :],
            options=image.get("title"),
        )  # fmt: skip
        markers = self.markers
        usable = parent.tag in FLOW_CONTAINERS | {"p"} and markers is not None
        if usable and markers.images.problem(reference) is None:
            text = markers.add(reference)
        else:
            text = reference.text  # escaped as text when the tree is written out
        _replace_with_text(parent, image, text)


def _is_reference(element: ElementTree.Element) -> bool:
    return element.tag == "img" and element.get("src", "").startswith(SCHEME)


def _replace_with_text(parent: ElementTree.Element, child: ElementTree.Element, text: str):
    """Put `text` (and the child's tail) where `child` was."""
    index = list(parent).index(child)
    words = text + (child.tail or "")
    if index == 0:
        parent.text = (parent.text or "") + words
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + words
    parent.remove(child)


def _split_paragraph(parent, paragraph, markers: "ImageMarkers") -> None:
    """Give each marker in `paragraph` a paragraph of its own (whitespace-only parts of the
    paragraph around it are dropped)."""
    pieces: list[ElementTree.Element] = []

    def new_paragraph(text: str = "") -> ElementTree.Element:
        element = ElementTree.Element("p")
        element.text = text
        pieces.append(element)
        return element

    def add_text(current: ElementTree.Element, text: str) -> ElementTree.Element:
        # Text after the last child of `current` goes into that child's tail.
        for number, part in enumerate(markers.pattern.split(text)):
            if number % 2:  # a marker
                new_paragraph(part)
                current = new_paragraph()
            elif len(current):
                current[-1].tail = (current[-1].tail or "") + part
            else:
                current.text = (current.text or "") + part
        return current

    current = add_text(new_paragraph(), paragraph.text or "")
    for child in list(paragraph):
        tail, child.tail = child.tail or "", None
        current.append(child)
        current = add_text(current, tail)
    pieces = [p for p in pieces if len(p) or (p.text or "").strip()]
    position = list(parent).index(paragraph)
    tail = paragraph.tail
    parent.remove(paragraph)
    for offset, piece in enumerate(pieces):
        piece.tail = "\n"
        parent.insert(position + offset, piece)
    if pieces:
        pieces[-1].tail = tail


class ImageMarkers:
    """The markers one rendering put in place of images, each to be swapped for its figure.

    A marker holds a random word made for this rendering, so no text an editor types can
    pass for one.
    """

    def __init__(self, images: PageImages):
        self.images = images
        self.prefix = f"neckinfo-image-{secrets.token_hex(8)}-"
        self.pattern = re.compile(rf"({self.prefix}\d+)")
        self.figures: dict[str, SafeString] = {}

    def add(self, reference: Reference) -> str:
        marker = f"{self.prefix}{len(self.figures)}"
        self.figures[marker] = self.images.figure(reference)
        return marker

    def marks(self, paragraph: ElementTree.Element) -> bool:
        """Whether `paragraph` holds one of this rendering's markers."""
        return self.prefix in "".join(paragraph.itertext())

    def replace(self, sanitised_html: str) -> str:
        """`sanitised_html` with each marker swapped for its figure (a marker alone in a
        paragraph takes the paragraph's place)."""
        if not self.figures:
            return sanitised_html
        marker = rf"{self.prefix}\d+"
        own = re.compile(rf"<p>\s*({marker})\s*</p>|({marker})")

        def figure(match: re.Match) -> str:
            return self.figures.get(match[1] or match[2], "")

        return own.sub(figure, sanitised_html)


class ImageReferenceExtension(Extension):
    def extendMarkdown(self, md) -> None:  # noqa: N802 (Python-Markdown's name)
        # After the other tree processors, so that the alt text has its escapes undone.
        md.treeprocessors.register(ImageReferenceTreeprocessor(md), "image_references", -10)


# The lead image.

# The width of the image a link preview shows (Open Graph's and Twitter's large card).
SHARING_WIDTH = 1200
# The thumbnail beside an article in lists: one rendition, the smallest there is.
THUMBNAIL_WIDTH = 320


def lead_image_shown(image) -> dict:
    """What readers get of an article's lead image, worked out when the article is saved:
    the figure at the top of its page (loaded at once, first), a thumbnail for lists, and
    the address, size and alt text of the picture link previews show. Empty without one."""
    from conditions.images import image_url, picture_html

    if image is None:
        return {}
    fallback = next(
        (form for form in ("jpeg", "png") if image_url(image, THUMBNAIL_WIDTH, form)), "jpeg"
    )
    sharing_width = min(SHARING_WIDTH, image.width)
    return {
        "figure": str(picture_html(image, size="large", lazy=False)),
        "thumbnail": str(_thumbnail(image, fallback)),
        "url": image_url(image, SHARING_WIDTH, fallback),
        "width": sharing_width,
        "height": max(1, round(image.height * sharing_width / image.width)),
        "alt": "" if image.decorative else image.alt_text,
    }


def _thumbnail(image, fallback: str) -> SafeString:
    """A small <picture> for a list's card. It only repeats the card's title link, so it
    says nothing to a screen reader (alt="")."""
    from conditions.images import image_url

    width = min(THUMBNAIL_WIDTH, image.width)
    height = max(1, round(image.height * width / image.width))
    sources = format_html_join(
        "",
        '<source type="image/{}" srcset="{}">',
        (
            (form, url)
            for form in ("avif", "webp")
            if (url := image_url(image, THUMBNAIL_WIDTH, form))
        ),
    )
    return format_html(
        '<picture class="card__image">{}<img src="{}" width="{}" height="{}" alt="" '
        'loading="lazy" decoding="async"></picture>',
        sources,
        image_url(image, THUMBNAIL_WIDTH, fallback),
        width,
        height,
    )
