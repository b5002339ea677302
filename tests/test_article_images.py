"""Library images in articles: placed in the text with `![alt](image:42 "medium right")`, a
lead image, both shown to readers only as a medical reviewer signed them off
(conditions/image_references.py)."""

import json
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from reversion.models import Version

from conditions import editorial, images, working_copies
from conditions.models import Article, ConditionArticle
from tests.browser_forms import admin_change_form
from tests.factories import (
    make_condition,
    make_faq,
    make_image,
    picture_bytes,
    ready_to_publish,
)
from tests.test_importer import run_import, write

pytestmark = pytest.mark.django_db

Status = Article.Status
CONDITIONS = "/admin/conditions/conditionarticle/"
FIGURE = re.compile(r'<figure class="image image--(\w+) image--(\w+)">(.*?)</figure>', re.S)
IMG = re.compile(r"<img [^>]*>")


def attribute(tag: str, name: str) -> str | None:
    found = re.search(rf'\b{name}="([^"]*)"', tag)
    return found[1] if found else None


def page(client, article) -> str:
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def rendition_addresses(html: str) -> set[str]:
    return set(re.findall(r"/media/images/renditions/[^\s\",]+", html))


def published(article: Article) -> Article:
    """`article` signed off by an independent reviewer and published through the gate."""
    article = ready_to_publish(article)
    assert editorial.publish_refusals(article, editorial_reviewer()) == []
    article.status = Status.PUBLISHED
    article.save()
    return article


def editorial_reviewer():
    from django.contrib.auth.models import User

    from tests.factories import make_staff

    return User.objects.filter(username="pat").first() or make_staff(
        "pat", "Medical reviewer", "Pat Publisher"
    )


def replace_file(image, content: bytes) -> None:
    """A new file for `image`, as the library's form replaces one (same id, every use kept)."""
    images.store_file(image, images.prepare_upload(SimpleUploadedFile("new.png", content)))
    image.save()
    images.make_renditions(image)


def three_image_body(first, second, third) -> str:
    return (
        "An introduction.\n\n"
        f'![Side view of the neck, showing the occipital nerves](image:{first.pk} "large")\n\n'
        "## Posture\n\nSit with your back supported.\n\n"
        f'![](image:{second.pk} "small right")\n\n'
        f'Text before ![A disc pressing on a nerve](image:{third.pk} "medium left") and after.'
    )


# What readers get.


def test_a_published_article_with_three_images_shows_each_as_a_picture(reader):
    diagrams = [make_image(f"Diagram {n}", content=picture_bytes(1000, 500)) for n in (1, 2, 3)]
    article = published(
        make_condition("Occipital neuralgia", ["Headache"], body=three_image_body(*diagrams))
    )

    html = page(reader, article)

    figures = FIGURE.findall(html)
    assert [(size, align) for size, align, _ in figures] == [
        ("large", "centre"),
        ("small", "right"),
        ("medium", "left"),
    ]
    tags = [IMG.search(inside)[0] for _, _, inside in figures]
    assert [attribute(tag, "alt") for tag in tags] == [
        "Side view of the neck, showing the occipital nerves",
        "Diagram 2",  # empty brackets: the library's alt text
        "A disc pressing on a nerve",
    ]
    # The first image on the page loads at once; the others as the reader scrolls.
    assert [attribute(tag, "loading") for tag in tags] == ["eager", "lazy", "lazy"]
    assert attribute(tags[0], "fetchpriority") == "high"
    for (_, _, inside), tag in zip(figures, tags, strict=True):
        assert (attribute(tag, "width"), attribute(tag, "height")) == ("1000", "500")
        assert '<source type="image/webp"' in inside and attribute(tag, "sizes")
        for address in rendition_addresses(inside):
            assert default_storage.exists(address.removeprefix("/media/")), address
    # A figure never stands inside a paragraph: the sentence around the third is split.
    assert "<p>Text before</p>" in html.replace(" </p>", "</p>")
    assert "<p>and after.</p>" in html.replace("<p> ", "<p>")


def test_an_faq_answer_and_its_introduction_show_images(reader):
    diagram = make_image("Chin tuck exercise", content=picture_bytes(800, 600))
    faq = published(
        make_faq(
            "Neck exercises",
            [("How do I do a chin tuck?", f'Like this:\n\n![](image:{diagram.pk} "medium")')],
            ["Neck pain"],
            intro=f"![Stretching the neck](image:{diagram.pk})",
        )
    )

    tags = IMG.findall(page(reader, faq))

    assert [attribute(tag, "alt") for tag in tags] == ["Stretching the neck", "Chin tuck exercise"]
    assert [attribute(tag, "loading") for tag in tags] == ["eager", "lazy"]


def page_queries(client, article) -> int:
    with CaptureQueriesContext(connection) as queries:
        page(client, article)
    return len(queries)


def test_the_queries_of_a_page_do_not_grow_with_its_images(reader):
    diagrams = [make_image(f"Diagram {n}") for n in range(3)]
    one = published(
        make_condition("One image", ["Headache"], body=three_image_body(*[diagrams[0]] * 3))
    )
    three = published(
        make_condition("Three images", ["Headache"], body=three_image_body(*diagrams))
    )
    with_lead = published(
        make_condition(
            "Three and a lead",
            ["Headache"],
            body=three_image_body(*diagrams),
            lead_image=diagrams[0],
        )
    )

    counts = [page_queries(reader, article) for article in (one, three, with_lead)]

    assert counts[0] == counts[1] == counts[2]


def test_the_lists_queries_do_not_grow_with_lead_images(reader):
    for number in range(3):
        published(make_condition(f"Plain {number}", ["Headache"]))
    with CaptureQueriesContext(connection) as plain:
        assert reader.get("/symptoms/headache/").status_code == 200
    diagram = make_image()
    for article in ConditionArticle.objects.all():
        article.lead_image = diagram
        article.save()
    from django.core.cache import cache

    cache.clear()
    from conditions.caching import WORKER_PAGES

    WORKER_PAGES.clear()

    with CaptureQueriesContext(connection) as with_images:
        html = reader.get("/symptoms/headache/").content.decode()

    assert html.count('class="card__image"') == 3
    assert len(with_images) == len(plain)


def test_hostile_alt_text_in_a_reference_is_escaped(reader):
    diagram = make_image()
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    article = published(
        make_condition("Hostile", ["Headache"], body=f"![{hostile}](image:{diagram.pk})")
    )

    html = page(reader, article)

    assert "<script>alert(1)" not in html and "<img src=x" not in html
    tag = IMG.search(FIGURE.search(html)[3])[0]
    assert attribute(tag, "alt").startswith("&quot;&gt;&lt;script&gt;")


def test_text_that_looks_like_an_image_marker_is_only_text(reader):
    diagram = make_image()
    article = published(
        make_condition(
            "Forged marker",
            ["Headache"],
            body=f"![a](image:{diagram.pk})\n\nneckinfo-image-0123456789abcdef-0 and more",
        )
    )

    html = page(reader, article)

    assert len(FIGURE.findall(html)) == 1
    assert "neckinfo-image-0123456789abcdef-0 and more" in html


def test_a_reference_the_site_cannot_show_stays_as_text_and_never_a_broken_image(reader):
    diagram = make_image()
    body = (
        "![Missing](image:999999)\n\n![Not a number](image:abc)\n\n"
        f'![Bad size](image:{diagram.pk} "huge")\n\n## A heading ![h](image:{diagram.pk})\n\n'
        "![From elsewhere](https://evil.example/x.png)"
    )
    article = published(make_condition("Unknown images", ["Headache"], body=body))

    html = page(reader, article)
    prose = html[
        html.index('<div class="prose">') : html.index("</div>", html.index('class="prose"'))
    ]

    assert "<img" not in prose and "<picture" not in prose
    assert "![Missing](image:999999)" in prose
    assert "![Not a number](image:abc)" in prose
    assert f'![Bad size](image:{diagram.pk} "huge")' in prose
    assert f"![h](image:{diagram.pk})" in prose
    assert "evil.example" not in prose  # an ordinary image is refused by the sanitiser, as ever


def test_the_preview_shows_images_and_warns_about_references_it_shows_as_text(editor_client):
    diagram = make_image("Neck muscles")
    article = make_condition("Previewed", ["Headache"], status=Status.DRAFT)
    data = admin_change_form(editor_client, f"{CONDITIONS}{article.pk}/change/")
    data["body"] = f'![](image:{diagram.pk} "medium")\n\n![Gone](image:424242)'

    response = editor_client.post(f"{CONDITIONS}{article.pk}/change/", {**data, "_preview": "1"})

    html = response.content.decode()
    assert attribute(IMG.search(FIGURE.search(html)[3])[0], "alt") == "Neck muscles"
    assert "Images shown as text:" in html
    assert "there is no image 424242 in the library" in html


def test_saving_a_reference_to_a_missing_image_keeps_the_text_and_warns(editor_client):
    article = make_condition("Warned", ["Headache"], status=Status.DRAFT)
    data = admin_change_form(editor_client, f"{CONDITIONS}{article.pk}/change/")
    data["body"] = "Some words.\n\n![Gone](image:424242)"

    response = editor_client.post(f"{CONDITIONS}{article.pk}/change/", data, follow=True)

    assert "there is no image 424242 in the library" in response.content.decode()
    assert ConditionArticle.objects.get(pk=article.pk).body.endswith("![Gone](image:424242)")


# The safety rule: a live page shows an image only as it was signed off.


def test_a_library_change_voids_a_sign_off_not_yet_published():
    diagram = make_image("Side view of the neck")
    article = ready_to_publish(
        make_condition(
            "Signed off", ["Headache"], status=Status.IN_REVIEW, body=f"![](image:{diagram.pk})"
        )
    )
    assert editorial.sign_off_is_current(article)

    diagram.alt_text = "Front view of the neck"
    diagram.save()

    assert not editorial.sign_off_is_current(article)
    assert any(
        "no longer holds" in reason
        for reason in editorial.publish_refusals(article, editorial_reviewer())
    )


def test_a_new_file_voids_the_sign_off_of_a_lead_image_too():
    diagram = make_image()
    article = ready_to_publish(
        make_condition("Lead", ["Headache"], status=Status.IN_REVIEW, lead_image=diagram)
    )

    replace_file(diagram, picture_bytes(640, 480))

    assert not editorial.sign_off_is_current(ConditionArticle.objects.get(pk=article.pk))


def test_a_new_file_never_changes_a_live_page_until_it_is_published_again(reader, reviewer_client):
    diagram = make_image("Side view", content=picture_bytes(900, 600))
    live = published(
        make_condition("Live", ["Headache"], body=f"![](image:{diagram.pk})", lead_image=diagram)
    )
    before = rendition_addresses(page(reader, live))
    assert before and all(diagram.file_hash[:20] in address for address in before)

    replace_file(diagram, picture_bytes(1200, 400))
    from django.core.cache import cache

    from conditions.caching import WORKER_PAGES

    cache.clear()
    WORKER_PAGES.clear()

    # Readers still see the file the reviewer signed off, and its renditions are still there.
    assert rendition_addresses(page(reader, live)) == before
    assert all(default_storage.exists(a.removeprefix("/media/")) for a in before)
    # The working copy (staff only) shows the library as it is now.
    copy = working_copies.start(live, None)
    staff_view = reviewer_client.get(copy.get_absolute_url()).content.decode()
    assert all(diagram.file_hash[:20] in a for a in rendition_addresses(staff_view))

    # Published again through review, readers get the new file.
    ready_to_publish(copy)
    working_copies.publish(ConditionArticle.objects.get(pk=copy.pk), editorial_reviewer())
    after = rendition_addresses(page(reader, live))
    assert after and all(diagram.file_hash[:20] in address for address in after)


def test_a_draft_shows_the_library_as_it_is_now(reviewer_client):
    diagram = make_image("Before", content=picture_bytes(900, 600))
    draft = make_condition(
        "Draft", ["Headache"], status=Status.DRAFT, body=f"![](image:{diagram.pk})"
    )

    diagram.alt_text = "After"
    diagram.save()
    replace_file(diagram, picture_bytes(1000, 300))

    html = page(reviewer_client, draft)
    assert attribute(IMG.search(html)[0], "alt") == "After"
    assert all(diagram.file_hash[:20] in a for a in rendition_addresses(html))


# The lead image.


def test_a_lead_image_heads_the_page_and_is_what_link_previews_show(reader):
    diagram = make_image(
        "Where the occipital nerves run", content=picture_bytes(2400, 1200, "JPEG")
    )
    article = published(make_condition("Occipital nerves", ["Headache"], lead_image=diagram))

    html = page(reader, article)

    lead = IMG.search(html[html.index("</header>") :])[0]
    assert attribute(lead, "loading") == "eager" and attribute(lead, "fetchpriority") == "high"
    og_image = re.search(r'<meta property="og:image" content="([^"]+)">', html)[1]
    assert og_image.startswith("http://testserver/media/images/renditions/")
    assert og_image.endswith("-1200.jpg")
    assert '<meta property="og:image:width" content="1200">' in html
    assert '<meta property="og:image:height" content="600">' in html
    assert '<meta property="og:image:alt" content="Where the occipital nerves run">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    json_ld = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)[1]
    )
    assert json_ld["image"]["url"] == og_image
    assert (json_ld["image"]["width"], json_ld["image"]["height"]) == (1200, 600)


def test_an_article_without_a_lead_image_keeps_the_small_card(reader):
    article = published(make_condition("No picture", ["Headache"]))

    html = page(reader, article)

    assert '<meta name="twitter:card" content="summary">' in html
    assert "og:image" not in html


def test_an_image_that_is_a_lead_image_cannot_be_deleted_and_is_listed_as_used():
    from django.db.models import ProtectedError

    diagram = make_image()
    article = make_condition("Lead user", lead_image=diagram, status=Status.DRAFT)

    assert [a.pk for a in images.articles_using(diagram)] == [article.pk]
    with pytest.raises(ProtectedError):
        diagram.delete()


# History, compare, restore and import.


def test_compare_shows_an_image_change_by_its_alt_text(reviewer_client):
    side = make_image("Side view of the neck")
    front = make_image("Front view of the neck")
    article = make_condition("Compared", ["Headache"], status=Status.IN_REVIEW)
    for image in (side, front):
        data = admin_change_form(reviewer_client, f"{CONDITIONS}{article.pk}/change/")
        data["body"] = f'Words.\n\n![](image:{image.pk} "medium")'
        assert reviewer_client.post(f"{CONDITIONS}{article.pk}/change/", data).status_code == 302
    newer, older = Version.objects.get_for_object(article)

    response = reviewer_client.get(
        f"{CONDITIONS}{article.pk}/history/compare/", {"from": older.pk, "to": newer.pk}
    )

    html = response.content.decode()
    assert (
        f"<del>“Side view of the neck” (image {side.pk}), medium centre</del><br>"
        f"<ins>“Front view of the neck” (image {front.pk}), medium centre</ins>"
    ) in html


def test_restoring_a_revision_whose_image_was_deleted_keeps_the_text_and_warns(reviewer_client):
    diagram = make_image("Soon deleted")
    article = make_condition("Restored", ["Headache"], status=Status.IN_REVIEW)
    data = admin_change_form(reviewer_client, f"{CONDITIONS}{article.pk}/change/")
    data.update(body=f"Words.\n\n![](image:{diagram.pk})", lead_image=str(diagram.pk))
    assert reviewer_client.post(f"{CONDITIONS}{article.pk}/change/", data).status_code == 302
    data = admin_change_form(reviewer_client, f"{CONDITIONS}{article.pk}/change/")
    data.update(body="Other words.", lead_image="")
    assert reviewer_client.post(f"{CONDITIONS}{article.pk}/change/", data).status_code == 302
    old_revision = Version.objects.get_for_object(article).last()
    diagram_id = diagram.pk
    diagram.delete()

    restore_url = f"{CONDITIONS}{article.pk}/history/{old_revision.pk}/"
    form = admin_change_form(reviewer_client, restore_url)
    response = reviewer_client.post(restore_url, form, follow=True)

    restored = ConditionArticle.objects.get(pk=article.pk)
    assert restored.body == f"Words.\n\n![](image:{diagram_id})"
    assert restored.lead_image is None
    assert f"there is no image {diagram_id} in the library" in response.content.decode()


def test_import_keeps_an_image_it_cannot_show_as_text_and_warns(tmp_path):
    path = write(
        tmp_path,
        "pictures.txt",
        "Neck pictures\nA stiff neck is common. It gets better in a few days.\n"
        "1. Posture\nSit up straight when you work at a desk.\n"
        "![A diagram](https://example.org/diagram.png)\n"
        "2. Sleep\nUse one firm pillow.\n",
    )

    stdout, stderr = run_import(path)

    assert "line 5: an image the site can't show" in stderr
    article = ConditionArticle.objects.get(title="Neck pictures")
    assert "![A diagram](https://example.org/diagram.png)" in article.body
    assert "image the site can't show" in article.editing_problems


# The "Insert image" dialog.


def test_the_change_form_offers_the_dialog_and_explains_the_reference_without_script(editor_client):
    response = editor_client.get(f"{CONDITIONS}add/")

    html = response.content.decode()
    assert 'id="image-picker"' in html and "js/image-picker.js" in html
    assert "![what it shows](image:42" in html
    assert 'href="/admin/conditions/image/"' in html


def test_the_dialog_finds_images_by_words(editor_client):
    make_image("Side view of the neck")
    make_image("A desk set up for good posture")

    found = editor_client.get(f"{CONDITIONS}images/", {"q": "desk posture"}).json()

    assert [image["alt"] for image in found["images"]] == ["A desk set up for good posture"]
    assert found["images"][0]["thumbnail"].startswith("/media/images/renditions/")
    everything = editor_client.get(f"{CONDITIONS}images/").json()
    assert len(everything["images"]) == 2


def test_the_dialog_list_is_for_staff_only(client):
    assert client.get(f"{CONDITIONS}images/").status_code == 302  # to sign in


def test_import_warns_of_a_library_image_this_site_does_not_have(tmp_path):
    diagram = make_image("Side view of the neck")
    path = write(
        tmp_path,
        "library.txt",
        "Neck pictures\nA stiff neck is common. It gets better in a few days.\n"
        "1. Posture\nSit up straight when you work at a desk.\n"
        f'![Side view](image:{diagram.pk} "medium")\n'
        "2. Sleep\nUse one firm pillow.\n![From another site](image:987654)\n",
    )

    stdout, stderr = run_import(path)

    warnings = [line for line in stderr.splitlines() if "image" in line]
    assert len(warnings) == 1, stderr
    assert "line 8: “![From another site](image:987654)”: there is no image 987654" in warnings[0]
    body = ConditionArticle.objects.get(title="Neck pictures").body
    assert "![From another site](image:987654)" in body
    assert f'![Side view](image:{diagram.pk} "medium")' in body


@pytest.mark.parametrize(
    "text", ["![" * 100_000 + "image:", "![a" * 100_000 + "](image:1)", '![](image:1 "' * 20_000]
)
def test_a_long_hostile_text_is_read_for_references_without_backtracking(text):
    # A pattern reading to the end of the text from every "![" would take minutes here.
    from conditions.image_references import references_in

    assert len(references_in(text)) <= 1


def test_an_faq_form_explains_the_reference_under_its_introduction_and_every_answer(
    editor_client,
):
    html = editor_client.get("/admin/conditions/faqarticle/add/").content.decode()

    # The introduction, the answers shown, and the empty row "Add another question" copies.
    assert html.count("![what it shows](image:42") >= 3
    assert 'id="image-picker"' in html


def test_deleting_an_image_a_live_page_shows_leaves_words_not_a_broken_picture(reader):
    diagram = make_image("Side view of the neck")
    live = published(
        make_condition(
            "Deleted picture",
            ["Headache"],
            body=f'Words.\n\n![Side view](image:{diagram.pk} "small")',
        )
    )
    faq = published(
        make_faq("Deleted in an answer", [("Why?", f"![](image:{diagram.pk})")], ["Headache"])
    )
    diagram_id = diagram.pk
    assert rendition_addresses(page(reader, live)) and rendition_addresses(page(reader, faq))

    diagram.delete()  # a superuser's decision, after the library's warning

    for article in (live, faq):
        html = page(reader, article)
        assert "<picture" not in html and not rendition_addresses(html)
    assert f'![Side view](image:{diagram_id} "small")' in page(reader, live)
    # What the reviewer signed off showed the image: the page no longer claims a review.
    assert "has not been medically reviewed yet" in page(reader, live)
