"""The media library: what an upload must be, the renditions readers get, and where an
image is used.

- `prepare_upload()` is the one gate every image file passes: it checks the size, reads the
  type from the bytes (JPEG, PNG or WebP only), refuses decompression bombs, animations and
  damaged files, and re-encodes the pixels so nothing else (EXIF, GPS, ICC, comments) is kept.
- `store_file()` puts a prepared file on an `Image`; `make_renditions()` makes its sizes and
  formats once (signals.py calls it when the file is new, on commit), never per request.
- `picture_html()` is the `<figure><picture>` readers see; `image_url()` one rendition's
  address (Open Graph).
- `articles_using()` / `usage_by_image()`: the articles whose Markdown refers to an image.
"""

import hashlib
import io
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import PIL.Image
import PIL.ImageOps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from PIL import features

from conditions.models import Article, ConditionArticle, FaqArticle, FaqItem, Image, Rendition

# `![Alt text for this use](image:42 "medium right")` in an article's Markdown: the library
# image 42, with the alt text readers hear for this use (empty: the library's), and an
# optional size and alignment. Bounded like image_references.ANY_REFERENCE (no bracket in the
# alt text, lengths capped), so a text of many "![" is read in linear time, not quadratic.
IMAGE_REFERENCE = re.compile(
    r"!\[[^\[\]\n]{0,1000}\]\(image:(\d{1,18})(?:\s{1,10}\"[^\"\n]{0,100}\")?\)"
)

# Rendition widths, in pixels: enough steps that a phone and a wide screen each download
# about what they show. Never wider than the uploaded file.
WIDTHS = [320, 640, 960, 1280, 1920]
# Open Graph and Twitter cards want about 1200 pixels: made in the fallback format only.
SHARING_WIDTH = 1200

# The boxes `picture_html(size=…)` draws an image in (site.css `.image--<size>`), as the
# `sizes` attribute tells the browser before any CSS has loaded, and the width in CSS pixels
# the `<img src>` fallback should cover.
SIZES = {
    "small": ("(min-width: 22rem) 20rem, calc(100vw - 2rem)", 320),
    "medium": ("(min-width: 32rem) 30rem, calc(100vw - 2rem)", 480),
    "large": ("(min-width: 44rem) 42rem, calc(100vw - 2rem)", 672),
    "full": ("(min-width: 70rem) 66rem, (min-width: 44rem) 42rem, calc(100vw - 2rem)", 1056),
}
ALIGNMENTS = ("left", "right", "centre")

# What editors may upload, as Pillow names the formats it finds in the bytes. MPO is how
# Pillow names a camera's JPEG that carries a second, preview picture: its first is kept.
ACCEPTED = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP"}
# Formats Pillow is asked to recognise, so that a refusal can say what the file is. Only
# plugins that read a header and pixels: never EPS, which would run Ghostscript.
RECOGNISED = ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "ICO", "AVIF", "PSD"]
FORMAT_NAMES = {"GIF": "GIF", "BMP": "BMP (Windows bitmap)", "TIFF": "TIFF", "ICO": "icon",
                "AVIF": "AVIF", "PSD": "Photoshop"}  # fmt: skip
ACCEPTED_WORDS = "Upload a JPEG, PNG or WebP image."

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
RENDITION_EXTENSIONS = {"avif": "avif", "webp": "webp", "jpeg": "jpg", "png": "png"}
CONTENT_TYPES = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg",
                 "png": "image/png"}  # fmt: skip
# Every rendition's name: its image, the file it was made from and its width. The media
# server (neckinfo/media_files.py) serves nothing else.
RENDITION_NAME = re.compile(
    r"^images/renditions/(?P<image>\d{1,12})/(?P<hash>[0-9a-f]{20})-(?P<width>\d{1,5})"
    r"\.(?P<extension>avif|webp|jpg|png)$"
)


@dataclass
class PreparedImage:
    """An upload that passed: its re-encoded bytes and what they are."""

    content: bytes
    format: str  # "JPEG", "PNG" or "WEBP"
    width: int
    height: int

    @property
    def file_hash(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def prepare_upload(upload) -> PreparedImage:
    """The uploaded file as pixels only, re-encoded, or a ValidationError saying what was
    wrong and what is accepted. Reads at most IMAGE_UPLOAD_MAX_BYTES."""
    size = upload.size or 0
    if size == 0:
        raise ValidationError("The file is empty (0 bytes). " + ACCEPTED_WORDS)
    limit = settings.IMAGE_UPLOAD_MAX_BYTES
    if size > limit:
        raise ValidationError(
            f"The file is {_megabytes(size)}; an image may be at most {_megabytes(limit)}. "
            "Save it smaller (e.g. 2,000 pixels wide) and upload it again."
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    try:
        with warnings.catch_warnings():
            # Pillow warns of a possible decompression bomb before it refuses one outright.
            warnings.simplefilter("error", PIL.Image.DecompressionBombWarning)
            picture = PIL.Image.open(io.BytesIO(data), formats=RECOGNISED)
            found = picture.format
            if found not in ACCEPTED:
                raise ValidationError(
                    f"This is a {FORMAT_NAMES.get(found, found)} image. {ACCEPTED_WORDS}"
                )
            _refuse_too_many_pixels(*picture.size)
            if found != "MPO" and getattr(picture, "n_frames", 1) > 1:
                raise ValidationError(
                    f"This is an animated image ({picture.n_frames} frames). Only still "
                    f"images can be uploaded. {ACCEPTED_WORDS}"
                )
            picture.load()
    except PIL.UnidentifiedImageError:
        raise ValidationError(f"This file is {_describe(data)}. {ACCEPTED_WORDS}") from None
    except (PIL.Image.DecompressionBombError, PIL.Image.DecompressionBombWarning):
        raise ValidationError(
            f"This image claims too many pixels to open safely; the most is "
            f"{settings.IMAGE_UPLOAD_MAX_PIXELS // 1_000_000} megapixels."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ValidationError(
            f"The file is damaged or cut short, so it can't be read as a whole image "
            f"({error}). Save it again and upload the new file."
        ) from None
    return _reencode(picture, ACCEPTED[found])


def _refuse_too_many_pixels(width: int, height: int) -> None:
    if width * height > settings.IMAGE_UPLOAD_MAX_PIXELS:
        raise ValidationError(
            f"This image is {width:,} × {height:,} pixels ({width * height / 1e6:,.0f} "
            f"megapixels); the most is {settings.IMAGE_UPLOAD_MAX_PIXELS // 1_000_000} "
            "megapixels. Make it smaller and upload it again."
        )


def _reencode(picture: PIL.Image.Image, output_format: str) -> PreparedImage:
    """Only the pixels, the right way up, in RGB (RGBA when it has transparency)."""
    picture = PIL.ImageOps.exif_transpose(picture)
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        picture = picture.convert("RGBA")
        if picture.getchannel("A").getextrema()[0] == 255:  # transparency that shows nothing
            picture = picture.convert("RGB")
    else:
        picture = picture.convert("RGB")  # CMYK, palette, grey, 16-bit: all shown as RGB
    if output_format == "JPEG" and picture.mode == "RGBA":
        output_format = "PNG"
    # A new image from the pixels alone: nothing of the upload's metadata can come along.
    clean = PIL.Image.frombytes(picture.mode, picture.size, picture.tobytes())
    return PreparedImage(_encode(clean, output_format), output_format, *clean.size)


def _encode(picture: PIL.Image.Image, output_format: str) -> bytes:
    output = io.BytesIO()
    if output_format == "JPEG":
        picture.save(output, "JPEG", quality=88, optimize=True, progressive=True)
    elif output_format == "PNG":
        picture.save(output, "PNG", optimize=True)
    elif output_format == "WEBP":
        picture.save(output, "WEBP", quality=85, method=4)
    elif output_format == "AVIF":
        picture.save(output, "AVIF", quality=55, speed=8)
    else:
        raise ValueError(f"No encoder for {output_format}")
    return output.getvalue()


def _describe(data: bytes) -> str:
    """What a file Pillow can't read seems to be, for the refusal message."""
    start = data[:1024].lstrip().lower()
    if data[:2] == b"MZ":
        return "a Windows program, not an image"
    if data[:4] == b"\x7fELF" or data[:4] in (b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "a program, not an image"
    if data[:2] == b"#!":
        return "a script, not an image"
    if b"<svg" in start:
        return "an SVG drawing, which can carry scripts and isn't accepted (export it as PNG)"
    if data[:4] == b"%PDF":
        return "a PDF document, not an image"
    if data[:4] == b"PK\x03\x04":
        return "a ZIP archive (or an Office document), not an image"
    if start.startswith((b"<!doctype", b"<html", b"<?xml")):
        return "a web page or XML text, not an image"
    return "not an image in a format we can read"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def store_file(image: Image, prepared: PreparedImage) -> str | None:
    """Put `prepared` in storage as `image`'s file (a new image, or a replacement keeping
    its id and so every use). Returns the file it replaced, to delete once saved. The caller
    saves `image`; signals.py then makes its renditions on commit."""
    previous = image.file.name or None
    name = default_storage.save(
        f"images/originals/{prepared.file_hash[:20]}.{EXTENSIONS[prepared.format]}",
        ContentFile(prepared.content),
    )
    image.file.name = name
    image.file_hash = prepared.file_hash
    image.width, image.height = prepared.width, prepared.height
    # Deleted from storage once the new one is saved and committed (signals.py). Its
    # renditions stay: live pages may still show them.
    image.replaced_file = previous
    return previous


def rendition_widths(original_width: int) -> list[int]:
    """The widths made of an image this wide: every step below it, and it (up to 1920)."""
    return sorted({width for width in WIDTHS if width < original_width}
                  | {min(original_width, WIDTHS[-1])})  # fmt: skip


def rendition_formats(has_transparency: bool) -> list[str]:
    """Best first: AVIF where this Pillow can write it, WebP, then what every browser reads."""
    fallback = Rendition.Format.PNG if has_transparency else Rendition.Format.JPEG
    modern = [Rendition.Format.AVIF] if features.check("avif") else []
    return [*modern, Rendition.Format.WEBP, fallback]


def make_renditions(image: Image) -> list[Rendition]:
    """Make whatever renditions of `image`'s current file are missing (none, usually: this
    runs once per file, on commit of its upload). Safe to run twice at once."""
    made = {
        (rendition.width, rendition.format)
        for rendition in Rendition.objects.filter(image=image, source_hash=image.file_hash)
    }
    with default_storage.open(image.file.name) as stored:
        original = PIL.Image.open(stored)
        original.load()
    formats = rendition_formats(original.mode == "RGBA")
    wanted = [(width, format) for width in rendition_widths(image.width) for format in formats]
    if image.width >= SHARING_WIDTH:
        wanted.append((SHARING_WIDTH, formats[-1]))
    wanted = list(dict.fromkeys(wanted))  # a 1200-wide image makes 1200 once
    # Every size is made from one no wider than the largest rendition (a 40-megapixel photo
    # is resized once, not once per size): the same result, several times faster.
    largest = min(image.width, WIDTHS[-1])
    source = _resized(original, largest)
    sized: dict[int, PIL.Image.Image] = {}
    new = []
    for width, format in wanted:
        if (width, format) in made:
            continue
        if width not in sized:
            sized[width] = _resized(source, width)
        resized = sized[width]
        height = resized.height
        name = (
            f"images/renditions/{image.pk}/{image.file_hash[:20]}-{width}."
            f"{RENDITION_EXTENSIONS[format]}"
        )
        if default_storage.exists(name):  # left by a run that died before its row was saved
            default_storage.delete(name)
        stored_name = default_storage.save(name, ContentFile(_encode(resized, format.upper())))
        new.append(Rendition(image=image, source_hash=image.file_hash, width=width,
                             height=height, format=format, file=stored_name))  # fmt: skip
    Rendition.objects.bulk_create(new, ignore_conflicts=True)
    return new


def _resized(picture: PIL.Image.Image, width: int) -> PIL.Image.Image:
    if width == picture.width:
        return picture
    height = max(1, round(picture.height * width / picture.width))
    return picture.resize((width, height), PIL.Image.Resampling.LANCZOS, reducing_gap=3.0)


def _renditions_of(image: Image, source_hash: str) -> list[Rendition]:
    # Through .all() so that a prefetch_related("renditions") is used.
    return [r for r in image.renditions.all() if r.source_hash == source_hash]


def picture_html(
    image: Image,
    *,
    size: str,
    align: str = "centre",
    lazy: bool = True,
    source_hash: str | None = None,
    alt: str | None = None,
) -> SafeString:
    """`image` as readers see it: a `<figure>` holding a `<picture>` of its renditions (AVIF,
    WebP, then JPEG or PNG), with width and height set so nothing moves as it loads, and its
    caption and credit. `source_hash` chooses the renditions of an earlier file (a live page
    keeps the file it was signed off with); `alt` the alt text of this use (None: the
    library's). Everything from the library is escaped."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    if align not in ALIGNMENTS:
        raise ValueError(f"align must be one of {', '.join(ALIGNMENTS)}, not {align!r}")
    source_hash = source_hash or image.file_hash
    renditions = _renditions_of(image, source_hash)
    if not renditions and source_hash == image.file_hash:
        make_renditions(image)  # only if the upload's own run never finished
        renditions = list(Rendition.objects.filter(image=image, source_hash=source_hash))
    if not renditions:
        return mark_safe("")
    by_format: dict[str, list[Rendition]] = {}
    for rendition in sorted(renditions, key=lambda r: r.width):
        by_format.setdefault(rendition.format, []).append(rendition)
    sizes, css_width = SIZES[size]
    fallback_format = "png" if "png" in by_format else "jpeg"
    fallback = by_format.get(fallback_format) or next(iter(by_format.values()))
    # The fallback's sharing size (Open Graph) is left out unless it is one of the steps.
    steps = {r.width for r in by_format.get("webp", fallback)}
    in_srcset = [r for r in fallback if r.width in steps]
    src = next((r for r in in_srcset if r.width >= css_width), in_srcset[-1])
    largest = in_srcset[-1]
    sources = format_html_join(
        "",
        '<source type="{}" srcset="{}" sizes="{}">',
        (
            (CONTENT_TYPES[format], _srcset(by_format[format]), sizes)
            for format in ("avif", "webp")
            if format in by_format
        ),
    )
    alt_text = "" if image.decorative and not alt else (alt or image.alt_text)
    img = format_html(
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" loading="{}" '
        'decoding="async"{}>',
        src.file.url,
        _srcset(in_srcset),
        sizes,
        largest.width,
        largest.height,
        alt_text,
        "lazy" if lazy else "eager",
        mark_safe("") if lazy else mark_safe(' fetchpriority="high"'),
    )
    return format_html(
        '<figure class="image image--{} image--{}"><picture>{}{}</picture>{}</figure>',
        size,
        align,
        sources,
        img,
        _caption(image),
    )


def _srcset(renditions: Iterable[Rendition]) -> str:
    return ", ".join(f"{rendition.file.url} {rendition.width}w" for rendition in renditions)


def _caption(image: Image) -> SafeString:
    if image.caption and image.credit:
        return format_html(
            '<figcaption>{} <span class="image__credit">— {}</span></figcaption>',
            image.caption,
            image.credit,
        )
    if image.caption or image.credit:
        return format_html("<figcaption>{}</figcaption>", image.caption or image.credit)
    return mark_safe("")


def image_url(image: Image, width: int, format: str, source_hash: str | None = None) -> str:
    """The address of `image`'s rendition in `format` closest to `width` without going over
    it (the smallest if all are wider), e.g. 1200 and "jpeg" for Open Graph; "" if none."""
    source_hash = source_hash or image.file_hash
    candidates = sorted(
        (r for r in _renditions_of(image, source_hash) if r.format == format),
        key=lambda r: r.width,
    )
    if not candidates:
        return ""
    fitting = [r for r in candidates if r.width <= width]
    return (fitting[-1] if fitting else candidates[0]).file.url


# Where images are used: every Markdown field an editor can put a reference in.
CONDITION_FIELDS = ["body", "when_to_get_medical_help", "urgent_help", "emergency_help", "summary"]
FAQ_FIELDS = ["intro", "summary"]


def usage_by_image(images: Iterable[Image]) -> dict[int, list[Article]]:
    """For each of `images`, the articles (live, drafts and working copies) whose Markdown
    refers to it, or that have it as their lead image. Three queries whatever the number of
    images."""
    ids = {image.pk for image in images}
    found: dict[int, dict[int, Article]] = {image_id: {} for image_id in ids}
    if not ids:
        return {}

    def mentioning(fields: list[str]) -> Q:
        # `](image:4` also matches image 42: the regex below confirms each match.
        condition = Q()
        for image_id in ids:
            for field in fields:
                condition |= Q(**{f"{field}__contains": f"](image:{image_id}"})
        return condition

    def note(article: Article, texts: Iterable[str]) -> None:
        for text in texts:
            for match in IMAGE_REFERENCE.finditer(text):
                if int(match.group(1)) in ids:
                    found[int(match.group(1))][article.pk] = article

    # An article's lead image is a use too, found in the same query as its text's images.
    for model, fields in ((ConditionArticle, CONDITION_FIELDS), (FaqArticle, FAQ_FIELDS)):
        for article in model.objects.filter(mentioning(fields) | Q(lead_image__in=ids)):
            note(article, (getattr(article, field) for field in fields))
            if article.lead_image_id in ids:
                found[article.lead_image_id][article.pk] = article
    for item in FaqItem.objects.filter(mentioning(["answer"])).select_related("faq"):
        note(item.faq, [item.answer])
    return {
        image_id: sorted(articles.values(), key=lambda article: article.title.lower())
        for image_id, articles in found.items()
    }


def articles_using(image: Image) -> list[Article]:
    """The articles (live, drafts and working copies) whose Markdown refers to `image`."""
    return usage_by_image([image])[image.pk]
