"""Condition articles' names for the conditions A–Z: a condition name, and other names (also
called, or the condition a section explains), which editors and reviewers edit."""

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

ROLES = ["Editor", "Medical reviewer"]
# Both roles edit an article's other names, as they edit its sources.
BOTH_ROLES_PERMISSIONS = [
    "add_conditionname", "change_conditionname", "delete_conditionname", "view_conditionname"
]  # fmt: skip


def grant_name_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; the roles need these now.
    app_config = apps.get_app_config("conditions")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="conditions", codename__in=BOTH_ROLES_PERMISSIONS
    )
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0016_needs_editing"),
    ]

    operations = [
        migrations.AddField(
            model_name="conditionarticle",
            name="condition_name",
            field=models.CharField(
                blank=True,
                help_text="The condition's plain name, e.g. “Cervical spondylosis”. The conditions A to Z lists the article under it, or under its title if left empty. Its other names, and the conditions its sections explain, are listed under “Other names” below.",
                max_length=200,
            ),
        ),
        migrations.CreateModel(
            name="ConditionName",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                (
                    "section",
                    models.CharField(
                        blank=True,
                        help_text="The section that explains it (from the body's headings as "
                        "last saved), or the whole article for a name the condition is also called.",
                        max_length=200,
                    ),
                ),
                (
                    "position",
                    models.PositiveIntegerField(default=0, help_text="Lower numbers come first."),
                ),
                (
                    "article",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="other_names",
                        to="conditions.conditionarticle",
                    ),
                ),
            ],
            options={
                "verbose_name": "other name",
                "ordering": ["position", "id"],
            },
        ),
        migrations.RunPython(grant_name_permissions, migrations.RunPython.noop),
    ]
