"""Placing library images in an article from its change form: the "Insert image" dialog
(`static/js/image-picker.js`), the list of images it searches, and the help text that
explains the reference to an editor without script.
"""

from django.contrib import messages
from django.db.models import Q
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html

from conditions import image_references
from conditions.image_references import THUMBNAIL_WIDTH
from conditions.images import image_url
from conditions.models import Image

# How many images the dialog lists at once: the newest, or those matching the words typed.
PICKER_RESULTS = 30
# Words looked for at most (a long paste is not a search of thousands of conditions).
PICKER_WORDS = 6


def library_url() -> str:
    try:
        return reverse("admin:conditions_image_changelist")
    except NoReverseMatch:  # the library's admin isn't registered (a site without it)
        return ""


def reference_help() -> str:
    """How to place an image by hand: the help under each Markdown field."""
    link = library_url()
    return format_html(
        'Images: <code>![what it shows](image:42 "medium right")</code> on a line of its '
        "own places image 42 of the {}; sizes small, medium, large (the default), full; "
        "alignments left, right, centre (the default). Empty brackets use the library's alt "
        "text.",
        format_html('<a href="{}">image library</a>', link) if link else "image library",
    )


def matching_images(words: str):
    """The newest library images whose alt text, caption, credit or file name hold every
    one of `words`, with their renditions (two queries)."""
    images = Image.objects.order_by("-updated_at", "-pk")
    for word in words.split()[:PICKER_WORDS]:
        images = images.filter(
            Q(alt_text__icontains=word)
            | Q(caption__icontains=word)
            | Q(credit__icontains=word)
            | Q(file__icontains=word)
        )
    return images.prefetch_related("renditions")[: PICKER_RESULTS + 1]


def picker_entry(image: Image) -> dict:
    thumbnail = image_url(image, THUMBNAIL_WIDTH, "webp") or image_url(
        image, THUMBNAIL_WIDTH, "jpeg"
    )
    return {
        "id": image.pk,
        "alt": image.alt_text,
        "decorative": image.decorative,
        "name": image.file.name.rsplit("/", 1)[-1],
        "thumbnail": thumbnail,
        "width": image.width,
        "height": image.height,
    }


class ImagePickerMixin:
    """Mixed into the article admin: the dialog on its change form and the list it reads."""

    markdown_fields: list[str] = []

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "images/",
                self.admin_site.admin_view(self.image_picker_view),
                name=f"{opts.app_label}_{opts.model_name}_images",
            ),
            *super().get_urls(),
        ]

    def image_picker_view(self, request):
        """JSON for the dialog: the newest images, or those matching `?q=`."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            return JsonResponse({"error": "not allowed"}, status=403)
        found = list(matching_images(request.GET.get("q", "")[:200]))
        return JsonResponse(
            {
                "images": [picker_entry(image) for image in found[:PICKER_RESULTS]],
                "more": len(found) > PICKER_RESULTS,
            }
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in self.markdown_fields:
            field.help_text = format_html("{} {}", field.help_text, reference_help())
        return field

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # An FAQ's answers as the form posted them (no query to read them back).
        items = [row.instance for formset in formsets for row in formset.forms]
        items = [item for item in items if isinstance(getattr(item, "answer", None), str)]
        for problem in image_references.problems_of(form.instance, items):
            self.message_user(
                request,
                f"An image reference shows as text, not an image: {problem}",
                messages.WARNING,
            )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        opts = self.model._meta
        context["image_picker"] = render_to_string(
            "admin/conditions/image_picker.html",
            {
                "url": reverse(f"admin:{opts.app_label}_{opts.model_name}_images"),
                "library_url": library_url(),
            },
        )
        return super().render_change_form(request, context, add, change, form_url, obj)
