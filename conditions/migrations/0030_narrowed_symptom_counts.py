"""Counts of the symptoms shared by the articles of a pair of symptoms that many articles share
(conditions.models.NarrowedSymptoms), counted here once; conditions.signals keeps them up to
date. A pair without rows is counted live, so the site is right before and after this runs."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, F

# conditions.narrowing.KEEP_NARROWED_FROM when this was written: a migration keeps its own
# copy of what it counts, so that it still runs when the app's code changes.
KEEP_NARROWED_FROM = 200


def count_narrowed_symptoms(apps, schema_editor):
    Article = apps.get_model("conditions", "Article")
    NarrowedSymptoms = apps.get_model("conditions", "NarrowedSymptoms")
    SharedSymptoms = apps.get_model("conditions", "SharedSymptoms")
    TaggedArticle = apps.get_model("conditions", "TaggedArticle")
    marked_published = Article.objects.filter(status="published", published_at__isnull=False)
    kept_pairs = SharedSymptoms.objects.filter(
        symptom_id__lt=F("other_id"), article_count__gte=KEEP_NARROWED_FROM
    )
    for first_id, second_id in kept_pairs.values_list("symptom_id", "other_id"):
        carrying_both = marked_published.filter(
            pk__in=TaggedArticle.objects.filter(tag_id=first_id).values("content_object_id")
        ).filter(pk__in=TaggedArticle.objects.filter(tag_id=second_id).values("content_object_id"))
        counted = (
            TaggedArticle.objects.filter(content_object_id__in=carrying_both.values("pk"))
            .values_list("tag_id")
            .annotate(article_count=Count("*"))
            .order_by()
        )
        NarrowedSymptoms.objects.bulk_create(
            [
                NarrowedSymptoms(
                    first_id=first_id, second_id=second_id, other_id=other_id, article_count=count
                )
                for other_id, count in counted
            ],
            batch_size=1000,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0029_title_order_index_knows_public"),
    ]

    operations = [
        migrations.CreateModel(
            name="NarrowedSymptoms",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("article_count", models.PositiveIntegerField()),
                (
                    "first",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="conditions.symptom",
                    ),
                ),
                (
                    "other",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="conditions.symptom",
                    ),
                ),
                (
                    "second",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="conditions.symptom",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "narrowed symptoms",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("first", "second", "other"), name="unique_narrowed_symptoms"
                    )
                ],
            },
        ),
        migrations.RunPython(count_narrowed_symptoms, migrations.RunPython.noop),
    ]
