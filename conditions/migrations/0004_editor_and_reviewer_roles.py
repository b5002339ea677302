"""The two editorial roles, as groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR = "Editor"
MEDICAL_REVIEWER = "Medical reviewer"

# Editors write and correct drafts and submit them for review.
EDITOR_PERMISSIONS = [
    "add_conditionarticle", "change_conditionarticle", "view_conditionarticle",
    "add_faqarticle", "change_faqarticle", "view_faqarticle",
    "add_faqitem", "change_faqitem", "delete_faqitem", "view_faqitem",
    "add_source", "change_source", "delete_source", "view_source",
    "add_symptom", "change_symptom", "view_symptom",
    "view_article",
]  # fmt: skip
# Reviewers also decide what is public, sign off reviews, and look after the vocabulary.
REVIEWER_PERMISSIONS = EDITOR_PERMISSIONS + [
    "publish_article", "sign_off_review",
    "delete_conditionarticle", "delete_faqarticle",
    "delete_symptom", "view_auditevent",
]  # fmt: skip


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in [(EDITOR, EDITOR_PERMISSIONS), (MEDICAL_REVIEWER, REVIEWER_PERMISSIONS)]:
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="conditions", codename__in=codenames
        )
        assert permissions.count() == len(codenames), "a role names a missing permission"
        group.permissions.add(*permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[EDITOR, MEDICAL_REVIEWER]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0003_editorial_workflow"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
