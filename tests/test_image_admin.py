"""The media library in the admin: the list with thumbnails and where each image is used,
search, replacing a file without breaking its uses, and deleting with a warning."""

import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conditions import images
from conditions.models import Article, Image, Rendition
from tests.factories import DRAFT, make_condition, make_faq, make_image, picture_bytes

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:conditions_image_changelist")


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def change_url(image: Image) -> str:
    return reverse("admin:conditions_image_change", args=[image.pk])


def delete_url(image: Image) -> str:
    return reverse("admin:conditions_image_delete", args=[image.pk])


def loaded_version(client, image: Image) -> str:
    """What the change form carries of the image as it was when opened."""
    return client.get(change_url(image)).context["adminform"].form["loaded_version"].value()


def uses(image: Image, alt: str = "") -> str:
    return f"![{alt}](image:{image.pk})"


def test_the_list_shows_thumbnails_and_where_each_image_is_used(editor_client):
    neck = make_image("Diagram of the neck", focal_x=0.25, focal_y=0.75)
    unused = make_image("Desk posture")
    make_condition("Whiplash", body=uses(neck))
    make_condition("Torticollis", body=uses(neck), status=DRAFT)

    page = editor_client.get(LIST_URL).content.decode()

    thumbnail = re.search(r'<img src="(/media/images/renditions/[^"]+)" alt="Diagram of the neck"'
                          r'[^>]*>', page)  # fmt: skip
    assert thumbnail and 'loading="lazy"' in thumbnail.group(0)
    assert "object-position: 25% 75%" in thumbnail.group(0)
    assert thumbnail.group(1).endswith(".webp")
    assert f'<a href="{change_url(neck)}#where-used">2 articles (1 live)</a>' in page
    row = page[page.index(change_url(unused)) :]
    assert "not used" in row[: row.index("</tr>")]


def test_the_list_costs_the_same_queries_for_three_images_as_for_ten(editor_client):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert editor_client.get(LIST_URL).status_code == 200
        return len(captured)

    for n in range(3):
        make_condition(f"Article {n}", body=uses(make_image(f"Image {n}")))
    with_three = queries_for_list()
    for n in range(3, 10):
        make_condition(f"Article {n}", body=uses(make_image(f"Image {n}")))

    assert queries_for_list() == with_three


@pytest.mark.parametrize(
    "words, found",
    [("occipital", "nerves"), ("stretch", "stretch"), ("Dr Lee", "stretch"), ("photo", "photo")],
)
def test_search_finds_images_by_alt_text_caption_credit_and_file_name(editor_client, words, found):
    nerves = make_image("The occipital nerves")
    stretch = make_image("A person stretching", caption="A chin tuck stretch", credit="Dr Lee")
    photo = make_image("Desk posture")
    Image.objects.filter(pk=photo.pk).update(file="images/originals/photo-of-desk.jpg")
    expected = {"nerves": nerves, "stretch": stretch, "photo": photo}[found]

    page = editor_client.get(LIST_URL, {"q": words}).content.decode()

    shown = {int(pk) for pk in re.findall(r"/conditions/image/(\d+)/change/", page)}
    assert shown == {expected.pk}


def test_hostile_alt_text_and_caption_are_shown_as_text_in_the_admin(editor_client):
    image = make_image('<script>alert("alt")</script>', caption="<b onmouseover=x>hi</b>")
    make_condition("Whiplash", body=uses(image))

    listing = editor_client.get(LIST_URL).content.decode()
    form = editor_client.get(change_url(image)).content.decode()

    for page in (listing, form):
        assert '<script>alert("alt")' not in page
        assert "&lt;script&gt;alert(&quot;alt&quot;)&lt;/script&gt;" in page
    assert "<b onmouseover" not in form


def test_the_change_form_shows_the_image_and_the_live_pages_keeping_their_file(
    reviewer_client,
):
    image = make_image("Diagram of the neck")
    make_condition("Whiplash", body=uses(image))
    make_faq("Neck FAQs", items=[("What is it?", uses(image, "The neck"))], status=DRAFT)

    page = reviewer_client.get(change_url(image)).content.decode()

    assert re.search(r'<img src="/media/images/renditions/\d+/[0-9a-f]{20}-640\.webp" '
                     r'alt="Diagram of the neck" width="640" height="480"', page)  # fmt: skip
    assert "800 × 600 pixels" in page
    assert "Used on 1 live page:" in page
    assert "keep showing the file, alt text and caption they were signed off with" in page
    assert re.search(r"Whiplash</a> \(live\)", page)
    assert re.search(r"Neck FAQs</a> \(draft\)", page)


def test_replacing_the_file_keeps_the_image_and_every_use(
    editor_client, media, django_capture_on_commit_callbacks
):
    image = make_image("Diagram of the neck", caption="Side view")
    article = make_condition("Whiplash", body=uses(image))
    old_file, old_hash = image.file.name, image.file_hash
    old_renditions = set(Rendition.objects.filter(image=image).values_list("file", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            change_url(image),
            {
                "alt_text": "Diagram of the neck",
                "caption": "Side view, redrawn",
                "credit": "",
                "licence": "",
                "focal_x": "",
                "focal_y": "",
                "loaded_version": loaded_version(editor_client, image),
                "upload": SimpleUploadedFile("new.png", picture_bytes(1000, 400, "PNG")),
            },
        )

    assert response.status_code == 302
    image.refresh_from_db()
    assert (image.width, image.height, image.caption) == (1000, 400, "Side view, redrawn")
    assert image.file_hash != old_hash
    assert [a.pk for a in images.articles_using(image)] == [article.pk]
    new = Rendition.objects.filter(image=image, source_hash=image.file_hash)
    assert {r.width for r in new} == {320, 640, 960, 1000}
    # The earlier renditions stay for the live pages still showing them; the earlier
    # original is gone.
    for name in old_renditions:
        assert default_storage.exists(name)
    assert not default_storage.exists(old_file)
    assert Image.objects.count() == 1


def test_a_bad_replacement_changes_nothing(editor_client, media):
    image = make_image("Diagram of the neck")
    before = (image.file.name, image.file_hash, sorted(p.name for p in media.rglob("*")))

    response = editor_client.post(
        change_url(image),
        {
            "alt_text": "Changed words",
            "loaded_version": loaded_version(editor_client, image),
            "upload": SimpleUploadedFile("x.jpg", b"MZ" + bytes(99)),
        },
    )

    assert response.status_code == 200
    assert "a Windows program" in str(response.context["adminform"].form.errors["upload"])
    image.refresh_from_db()
    assert (image.file.name, image.file_hash, sorted(p.name for p in media.rglob("*"))) == before
    assert image.alt_text == "Diagram of the neck"


def test_deleting_an_image_in_use_lists_the_articles_first(superuser_client):
    image = make_image("Diagram of the neck")
    make_condition("Whiplash", body=uses(image))
    make_condition("Torticollis", urgent_help=uses(image), status=DRAFT)

    page = superuser_client.get(delete_url(image)).content.decode()

    warning = page[page.index('id="image-in-use"') :]
    warning = warning[: warning.index("</div>")]
    assert "used in 2 articles" in warning
    assert re.search(r"Torticollis</a> \(draft\)", warning)
    assert re.search(r"Whiplash</a> \(<strong>live</strong>\)", warning)


def test_editors_cannot_delete_an_image_a_live_page_uses(editor_client, reviewer_client):
    image = make_image("Diagram of the neck")
    make_condition("Whiplash", body=uses(image))

    for client in (editor_client, reviewer_client):
        assert client.get(delete_url(image)).status_code == 403
        assert client.post(delete_url(image), {"post": "yes"}).status_code == 403
    assert Image.objects.filter(pk=image.pk).exists()


def test_an_image_only_drafts_use_is_deleted_with_its_files(
    editor_client, media, django_capture_on_commit_callbacks
):
    image = make_image("Diagram of the neck")
    make_condition("Torticollis", body=uses(image), status=DRAFT)
    assert any(media.rglob("*.avif"))

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(delete_url(image), {"post": "yes"})

    assert response.status_code == 302
    assert not Image.objects.exists() and not Rendition.objects.exists()
    assert [path for path in media.rglob("*") if path.is_file()] == []


def test_a_superuser_can_delete_an_image_a_live_page_uses(superuser_client):
    image = make_image("Diagram of the neck")
    make_condition("Whiplash", body=uses(image))

    response = superuser_client.post(delete_url(image), {"post": "yes"})

    assert response.status_code == 302
    assert not Image.objects.exists()
    assert Article.objects.filter(title="Whiplash").exists()


def test_editors_and_reviewers_can_use_the_library(editor_client, reviewer_client):
    for client in (editor_client, reviewer_client):
        assert client.get(LIST_URL).status_code == 200
        assert client.get(reverse("admin:conditions_image_add")).status_code == 200


def test_a_save_over_someone_elses_change_is_refused_and_the_words_kept(
    editor_client, reviewer_client, media
):
    image = make_image("Diagram of the neck")
    opened_by_ed = loaded_version(editor_client, image)
    reviewer_client.post(
        change_url(image),
        {
            "alt_text": "The neck from behind",
            "loaded_version": loaded_version(reviewer_client, image),
        },
    )

    response = editor_client.post(
        change_url(image),
        {
            "alt_text": "Ed's careful description",
            "loaded_version": opened_by_ed,
            "upload": SimpleUploadedFile("new.png", picture_bytes(500, 500, "PNG")),
        },
    )

    assert response.status_code == 200
    assert "was changed by Rita Okafor" in response.content.decode()
    assert response.context["adminform"].form["alt_text"].value() == "Ed's careful description"
    image.refresh_from_db()
    assert image.alt_text == "The neck from behind" and image.width == 800
    assert not any(media.rglob("*500*"))
