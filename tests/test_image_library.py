"""The media library's images as readers get them: renditions made once in the sizes and
formats the design needs, and the `<picture>` markup that chooses between them."""

import io
import re

import PIL.Image
import pytest
from django.core.files.storage import default_storage

from conditions import images
from conditions.models import Rendition
from tests.factories import make_condition, make_faq, make_image, picture_bytes

pytestmark = pytest.mark.django_db


def _open(name: str) -> PIL.Image.Image:
    with default_storage.open(name) as stored:
        picture = PIL.Image.open(io.BytesIO(stored.read()))
        picture.load()
    return picture


def test_renditions_are_made_in_every_format_and_never_wider_than_the_upload():
    image = make_image(content=picture_bytes(1000, 500, "JPEG"))

    made = {(r.width, r.format) for r in image.renditions.all()}
    assert made == {
        (width, format) for width in (320, 640, 960, 1000) for format in ("avif", "webp", "jpeg")
    }
    for rendition in image.renditions.all():
        picture = _open(rendition.file.name)
        assert picture.format == rendition.format.upper()
        assert picture.size == (rendition.width, rendition.height)
        assert rendition.height == round(500 * rendition.width / 1000)
        # Named after the file it was made from: its address always means these bytes.
        assert image.file_hash[:20] in rendition.file.name


def test_a_wide_photo_also_gets_a_1200_pixel_jpeg_for_link_previews():
    image = make_image(content=picture_bytes(2400, 1200, "JPEG"))

    widths = sorted({r.width for r in image.renditions.all() if r.format == "webp"})
    assert widths == [320, 640, 960, 1280, 1920]
    assert images.image_url(image, 1200, "jpeg").endswith("-1200.jpg")
    assert _open(images.image_url(image, 1200, "jpeg").removeprefix("/media/")).size == (
        1200,
        600,
    )


def test_a_transparent_png_falls_back_to_png_and_keeps_its_transparency():
    image = make_image(content=picture_bytes(400, 300, "PNG", mode="RGBA"))
    picture = PIL.Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    picture.paste((200, 30, 30, 255), (100, 100, 300, 200))
    output = io.BytesIO()
    picture.save(output, "PNG")
    transparent = make_image(content=output.getvalue())

    assert {r.format for r in image.renditions.all()} == {"avif", "webp", "jpeg"}
    assert {r.format for r in transparent.renditions.all()} == {"avif", "webp", "png"}
    largest_png = transparent.renditions.get(format="png", width=400)
    assert _open(largest_png.file.name).getpixel((0, 0))[3] == 0


def test_picture_markup_offers_avif_and_webp_with_a_sized_fallback():
    image = make_image(
        "Diagram of the neck from behind", picture_bytes(1600, 900, "JPEG"), caption="The neck"
    )

    html = images.picture_html(image, size="medium", align="right")

    assert html.startswith('<figure class="image image--medium image--right"><picture>')
    avif, webp = re.findall(r'<source type="([^"]+)" srcset="([^"]+)"', html)
    assert avif[0] == "image/avif" and webp[0] == "image/webp"
    assert [w for w in re.findall(r" (\d+)w", avif[1])] == ["320", "640", "960", "1280", "1600"]
    img = re.search(r"<img [^>]+>", html).group(0)
    # The fallback covers a 480-pixel box; width and height keep the space while it loads.
    assert re.search(r'src="/media/images/renditions/\d+/[0-9a-f]{20}-640\.jpg"', img)
    assert 'width="1600" height="900"' in img
    assert 'alt="Diagram of the neck from behind"' in img
    assert 'loading="lazy"' in img and 'decoding="async"' in img
    assert 'sizes="(min-width: 32rem) 30rem, calc(100vw - 2rem)"' in img
    assert "1200w" not in html  # the link-preview size is not one of the steps
    assert html.endswith("<figcaption>The neck</figcaption></figure>")


def test_an_image_at_the_top_of_a_page_loads_at_once():
    image = make_image()

    html = images.picture_html(image, size="large", lazy=False)

    assert 'loading="eager"' in html and 'fetchpriority="high"' in html


def test_a_decorative_image_has_empty_alt_text_and_no_caption():
    image = make_image("", decorative=True)

    html = images.picture_html(image, size="small")

    assert 'alt=""' in html
    assert "figcaption" not in html


def test_a_use_can_give_its_own_alt_text():
    image = make_image("Diagram of the neck")

    html = images.picture_html(image, size="large", alt="The nerves at the base of the skull")

    assert 'alt="The nerves at the base of the skull"' in html


def test_hostile_alt_text_caption_and_credit_are_shown_as_text():
    image = make_image(
        '"><script>alert(1)</script>',
        caption="<img src=x onerror=alert(2)>",
        credit="</figure><b>me</b>",
    )

    html = images.picture_html(image, size="large")

    assert "<script>" not in html and "<img src=x" not in html and "<b>" not in html
    assert 'alt="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "— &lt;/figure&gt;&lt;b&gt;me&lt;/b&gt;" in html


def test_replacing_the_file_keeps_the_earlier_renditions_for_pages_showing_them():
    image = make_image(content=picture_bytes(800, 600, "PNG"))
    first_hash = image.file_hash
    before = images.picture_html(image, size="large")

    images.store_file(image, images.prepare_upload(_upload(picture_bytes(700, 700, "JPEG"))))
    image.save()
    images.make_renditions(image)

    assert image.file_hash != first_hash
    assert images.picture_html(image, size="large", source_hash=first_hash) == before
    after = images.picture_html(image, size="large")
    assert after != before and 'width="700" height="700"' in after
    assert Rendition.objects.filter(image=image, source_hash=first_hash).exists()


def test_renditions_are_made_once():
    image = make_image()
    count = Rendition.objects.filter(image=image).count()

    assert images.make_renditions(image) == []
    assert Rendition.objects.filter(image=image).count() == count


def test_picture_markup_of_prefetched_images_needs_no_query(django_assert_num_queries):
    for alt in ("One", "Two", "Three"):
        make_image(alt)
    library = list(images.Image.objects.prefetch_related("renditions"))

    with django_assert_num_queries(0):
        for image in library:
            images.picture_html(image, size="small")


def test_articles_using_finds_references_in_every_markdown_field():
    image = make_image()
    other = make_image("Another")
    in_body = make_condition("Whiplash", body=f"Look:\n\n![]({_ref(image)})")
    in_advice = make_condition(
        "Torticollis", urgent_help=f'![The neck]({_ref(image)} "small left")'
    )
    in_answer = make_faq("Neck FAQs", items=[("Why?", f"![x]({_ref(image)})")])
    make_condition("Unrelated", body=f"![x](image:{image.pk}0) and ![y]({_ref(other)})")

    using = images.articles_using(image)
    assert [article.title for article in using] == ["Neck FAQs", "Torticollis", "Whiplash"]
    assert {article.pk for article in using} == {in_answer.pk, in_advice.pk, in_body.pk}
    assert [a.title for a in images.articles_using(other)] == ["Unrelated"]


def test_usage_of_a_page_of_images_is_three_queries(django_assert_num_queries):
    library = [make_image(f"Image {n}") for n in range(5)]
    for image in library:
        make_condition(f"About {image.alt_text}", body=f"![]({_ref(image)})")

    with django_assert_num_queries(3):
        usage = images.usage_by_image(library)

    assert [len(usage[image.pk]) for image in library] == [1] * 5


def _ref(image) -> str:
    return f"image:{image.pk}"


def _upload(content: bytes, name: str = "upload.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)
