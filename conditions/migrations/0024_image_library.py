"""The media library: images (diagrams and photos) with their alt text, and their
renditions. Editors and medical reviewers upload, change and delete images."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

# Deleting an image that a live article uses is refused to everyone but superusers (the admin
# checks); an unused one either role may delete.
BOTH_ROLES_PERMISSIONS = ["view_image", "add_image", "change_image", "delete_image"]


def grant_to_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="conditions", codename__in=BOTH_ROLES_PERMISSIONS
    )
    assert permissions.count() == len(BOTH_ROLES_PERMISSIONS), "a role names a missing permission"
    for group in apps.get_model("auth", "Group").objects.filter(
        name__in=["Editor", "Medical reviewer"]
    ):
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0023_share_links"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Image",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("file", models.FileField(editable=False, max_length=255, upload_to="")),
                ("file_hash", models.CharField(editable=False, max_length=64)),
                ("width", models.PositiveIntegerField(editable=False)),
                ("height", models.PositiveIntegerField(editable=False)),
                (
                    "alt_text",
                    models.CharField(
                        blank=True,
                        help_text="What the image shows, for readers who can't see it, e.g. “Diagram of the neck from behind, showing the occipital nerves running up from the base of the skull”. Required unless the image is decorative.",
                        max_length=300,
                        verbose_name="alt text",
                    ),
                ),
                (
                    "decorative",
                    models.BooleanField(
                        default=False,
                        help_text="Tick only if the image adds nothing a reader would miss: screen readers then skip it.",
                    ),
                ),
                (
                    "caption",
                    models.CharField(
                        blank=True, help_text="Shown under the image.", max_length=300
                    ),
                ),
                (
                    "credit",
                    models.CharField(
                        blank=True,
                        help_text="Who made it, shown after the caption.",
                        max_length=200,
                    ),
                ),
                (
                    "licence",
                    models.CharField(
                        blank=True,
                        help_text="e.g. “Our own”, “CC BY 4.0”. Not shown to readers.",
                        max_length=200,
                    ),
                ),
                (
                    "focal_x",
                    models.FloatField(
                        blank=True,
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(0),
                            django.core.validators.MaxValueValidator(1),
                        ],
                        verbose_name="focal point across",
                    ),
                ),
                (
                    "focal_y",
                    models.FloatField(
                        blank=True,
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(0),
                            django.core.validators.MaxValueValidator(1),
                        ],
                        verbose_name="focal point down",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="last changed")),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        blank=True,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-updated_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="Rendition",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("source_hash", models.CharField(max_length=64)),
                ("width", models.PositiveIntegerField()),
                ("height", models.PositiveIntegerField()),
                (
                    "format",
                    models.CharField(
                        choices=[
                            ("avif", "AVIF"),
                            ("webp", "WebP"),
                            ("jpeg", "JPEG"),
                            ("png", "PNG"),
                        ],
                        max_length=4,
                    ),
                ),
                ("file", models.FileField(max_length=255, upload_to="")),
                (
                    "image",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="renditions",
                        to="conditions.image",
                    ),
                ),
            ],
            options={
                "ordering": ["width"],
            },
        ),
        migrations.AddConstraint(
            model_name="image",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("decorative", True), models.Q(("alt_text", ""), _negated=True), _connector="OR"
                ),
                name="image_has_alt_text",
            ),
        ),
        migrations.AddConstraint(
            model_name="rendition",
            constraint=models.UniqueConstraint(
                fields=("image", "source_hash", "width", "format"), name="one_rendition_per_size"
            ),
        ),
        migrations.RunPython(grant_to_roles, migrations.RunPython.noop),
    ]
