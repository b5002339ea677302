"""Readers' answers to "Is this page useful?", which editors and medical reviewers read and
mark handled in the admin."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

# Both roles read the feedback and mark comments handled ("change"); deleting is left to
# superusers, so counts aren't lost by accident.
BOTH_ROLES_PERMISSIONS = ["view_pagefeedback", "change_pagefeedback"]


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
    for group in apps.get_model("auth", "Group").objects.filter(
        name__in=["Editor", "Medical reviewer"]
    ):
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0018_search_insights"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PageFeedback",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("useful", models.BooleanField()),
                ("comment", models.TextField(blank=True, max_length=500)),
                (
                    "given_on",
                    models.DateField(db_index=True, default=django.utils.timezone.localdate),
                ),
                ("handled_at", models.DateTimeField(blank=True, null=True)),
                (
                    "article",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="feedback",
                        to="conditions.article",
                    ),
                ),
                (
                    "handled_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "reader feedback",
                "verbose_name_plural": "reader feedback",
                "ordering": ["-given_on", "-pk"],
            },
        ),
        migrations.RunPython(grant_to_roles, migrations.RunPython.noop),
    ]
