"""The media library in the admin: upload, describe, replace and delete images.

Every file goes through `conditions.images.prepare_upload` (the form's `clean_upload`), so a
refused file is refused before anything is stored, and the form comes back with what the
editor typed. Replacing the file keeps the image's id, so every reference to it keeps
working; live pages keep showing the renditions they were signed off with.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from conditions import images
from conditions.forms import RefusesLostUpdates
from conditions.models import Article, Image, Rendition

THUMBNAIL_WIDTH = 320  # the smallest rendition


class ImageForm(RefusesLostUpdates):
    """An image's form: the upload through `prepare_upload`, and no save over a change
    someone else made after it was opened (their alt text or file would be lost)."""

    versioned_model = Image
    noun = "image"

    upload = forms.FileField(
        label="Image file",
        required=False,
        error_messages={"empty": "The file is empty (0 bytes). " + images.ACCEPTED_WORDS},
        help_text="A JPEG, PNG or WebP image (not SVG, GIF or an animation), at most "
        "10 MB and 40 megapixels. Only its pixels are kept: location and camera details "
        "are removed. To replace the file of an image already in use, choose a new one: "
        "every article using the image keeps its place.",
    )

    class Meta:
        model = Image
        fields = ["alt_text", "decorative", "caption", "credit", "licence", "focal_x", "focal_y"]
        widgets = {
            "alt_text": forms.Textarea(attrs={"rows": 2, "cols": 60}),
            "focal_x": forms.NumberInput(attrs={"min": 0, "max": 1, "step": 0.01}),
            "focal_y": forms.NumberInput(attrs={"min": 0, "max": 1, "step": 0.01}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limits as this site sets them.
        self.fields["upload"].help_text = (
            self.fields["upload"]
            .help_text.replace("10 MB", f"{settings.IMAGE_UPLOAD_MAX_BYTES // 1024**2} MB")
            .replace("40 mega", f"{settings.IMAGE_UPLOAD_MAX_PIXELS // 1_000_000} mega")
        )
        self.prepared = None

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            self.prepared = images.prepare_upload(upload)
        elif not self.instance.pk:
            raise forms.ValidationError("Choose an image file to upload.")
        return upload

    def clean_alt_text(self):
        return " ".join(self.cleaned_data["alt_text"].split())


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageForm
    list_display = ["thumbnail", "description", "where_used", "dimensions", "updated_at"]
    list_display_links = ["thumbnail", "description"]
    search_fields = ["alt_text", "caption", "credit", "file"]
    list_per_page = 50
    actions = None  # one at a time, each deletion with its own warning
    readonly_fields = ["preview", "dimensions", "uses", "uploaded_by", "created_at", "updated_at"]

    def get_fieldsets(self, request, obj=None):
        file_fields = ["preview", "dimensions", "upload", "loaded_version"] if obj else ["upload"]
        fieldsets = [
            (None, {"fields": file_fields}),
            (
                "What it shows",
                {
                    "fields": ["alt_text", "decorative", "caption", "credit", "licence"],
                    "description": "Alt text is what a screen reader says instead of the "
                    "image: say what it shows and why it matters here, in a sentence. A "
                    "reference in an article can give alt text of its own for that use.",
                },
            ),
            (
                "Focal point",
                {
                    "fields": ["focal_x", "focal_y"],
                    "description": "Where the subject is, so that it stays in view when the "
                    "image is cropped to a small square (the library's thumbnails). Across: "
                    "0 is the left edge, 0.5 the middle, 1 the right edge. Down: 0 is the "
                    "top, 1 the bottom. Leave both empty for the middle.",
                },
            ),
        ]
        if obj:
            fieldsets.append(
                ("Where it is used", {"fields": ["uses", "uploaded_by", "created_at"]})
            )
        return fieldsets

    def get_queryset(self, request):
        # The thumbnails' renditions in one query for the whole page.
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "renditions",
                    queryset=Rendition.objects.filter(width__lte=THUMBNAIL_WIDTH),
                )
            )
        )

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # Where each image on this page is used: three queries for the page, not per row.
        usage = images.usage_by_image(changelist.result_list)
        for image in changelist.result_list:
            image.used_in = usage[image.pk]
        return changelist

    @admin.display(description="image")
    def thumbnail(self, image: Image):
        rendition = _thumbnail_rendition(image)
        if rendition is None:
            return "(no preview yet)"
        x, y = (image.focal_x, image.focal_y)
        position = f"{(0.5 if x is None else x) * 100:.0f}% {(0.5 if y is None else y) * 100:.0f}%"
        return format_html(
            '<img src="{}" alt="{}" width="80" height="80" loading="lazy" decoding="async" '
            'style="object-fit: cover; object-position: {}; display: block">',
            rendition.file.url,
            "" if image.decorative else image.alt_text,
            position,
        )

    @admin.display(description="alt text", ordering="alt_text")
    def description(self, image: Image):
        if image.decorative and not image.alt_text:
            return "(decorative)"
        return image.alt_text

    @admin.display(description="where used")
    def where_used(self, image: Image):
        used_in = getattr(image, "used_in", None)
        if used_in is None:
            used_in = images.articles_using(image)
        if not used_in:
            return "not used"
        live = sum(1 for article in used_in if _is_live(article))
        words = f"{len(used_in)} article{'s' if len(used_in) != 1 else ''}"
        if live:
            words += f" ({live} live)"
        url = reverse("admin:conditions_image_change", args=[image.pk]) + "#where-used"
        return format_html('<a href="{}">{}</a>', url, words)

    @admin.display(description="size")
    def dimensions(self, image: Image):
        return f"{image.width} × {image.height} pixels"

    @admin.display(description="preview")
    def preview(self, image: Image):
        rendition = _preview_rendition(image)
        if rendition is None:
            return "(renditions are being made: reload in a moment)"
        return format_html(
            '<img src="{}" alt="{}" width="{}" height="{}" '
            'style="max-width: 100%; height: auto; display: block">',
            rendition.file.url,
            "" if image.decorative else image.alt_text,
            rendition.width,
            rendition.height,
        )

    @admin.display(description="used in")
    def uses(self, image: Image):
        used_in = images.articles_using(image)
        if not used_in:
            return mark_safe('<span id="where-used">Not used in any article yet.</span>')
        live = [article for article in used_in if _is_live(article)]
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a> ({})</li>',
            ((_change_url(article), article.title, _state(article)) for article in used_in),
        )
        note = ""
        if live:
            note = format_html(
                "<p><strong>Used on {} live page{}:</strong> they keep showing the file, alt "
                "text and caption they were signed off with until each is published again "
                "through review. Changing them voids an unpublished sign-off. Only a superuser "
                "can delete an image a live page uses.</p>",
                len(live),
                "" if len(live) == 1 else "s",
            )
        return format_html('<div id="where-used">{}<ul>{}</ul></div>', note, rows)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        # Pulling an image from under a live page is a superuser's decision.
        return not any(_is_live(article) for article in images.articles_using(obj))

    def render_delete_form(self, request, context):
        used_in = images.articles_using(context["object"])
        context["articles_using"] = [
            (article, _change_url(article), _state(article), _is_live(article))
            for article in used_in
        ]
        return super().render_delete_form(request, context)

    def save_model(self, request, obj, form, change):
        stored = None
        if form.prepared is not None:
            images.store_file(obj, form.prepared)
            stored = obj.file.name
        if not change:
            obj.uploaded_by = request.user
        obj.updated_by = request.user
        try:
            with transaction.atomic():
                obj.save()
        except Exception:
            # Nothing half-saved: the file stored for a row that wasn't saved goes too.
            if stored:
                default_storage.delete(stored)
            raise
        if change and form.prepared is not None and images.articles_using(obj):
            messages.info(
                request,
                "The new file is shown in drafts and working copies at once; live pages "
                "keep the earlier one until they are published again through review.",
            )


def _thumbnail_rendition(image: Image) -> Rendition | None:
    candidates = [
        r
        for r in image.renditions.all()
        if r.source_hash == image.file_hash and r.format in ("webp", "jpeg", "png")
    ]
    webp = [r for r in candidates if r.format == "webp"]
    return max(webp or candidates, key=lambda r: r.width, default=None)


def _preview_rendition(image: Image) -> Rendition | None:
    candidates = Rendition.objects.filter(image=image, source_hash=image.file_hash)
    webp = [r for r in candidates if r.format == "webp"]  # what every current browser reads
    return next((r for r in webp if r.width >= 640), webp[-1] if webp else None)


def _is_live(article: Article) -> bool:
    return article.status == Article.Status.PUBLISHED and article.live_article_id is None


def _state(article: Article) -> str:
    if article.live_article_id:
        return "working copy of a live page"
    if _is_live(article):
        return "live"
    return article.get_status_display().lower()


def _change_url(article: Article) -> str:
    name = "condition" if article.kind == Article.Kind.CONDITION else "faq"
    return reverse(f"admin:conditions_{name}article_change", args=[article.pk])
