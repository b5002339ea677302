"""Counts of the symptoms published articles share (conditions.models.SharedSymptoms),
counted here once from the article–symptom table; conditions.signals keeps them up to date."""

import django.db.models.deletion
from django.db import migrations, models

# The same counts as conditions.narrowing.recount_shared_symptoms(), in SQL: a migration keeps
# its own copy, so that it still runs when the app's code changes.
COUNT_SHARED_SYMPTOMS = """
    INSERT INTO conditions_sharedsymptoms (symptom_id, other_id, article_count)
    SELECT mine.tag_id, theirs.tag_id, COUNT(*)
    FROM conditions_taggedarticle mine
    JOIN conditions_article article ON article.id = mine.content_object_id
    JOIN conditions_taggedarticle theirs ON theirs.content_object_id = mine.content_object_id
    WHERE article.status = 'published' AND article.published_at IS NOT NULL
    GROUP BY mine.tag_id, theirs.tag_id
"""


class Migration(migrations.Migration):
    dependencies = [("conditions", "0027_search_newest_matches")]

    operations = [
        migrations.CreateModel(
            name="SharedSymptoms",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("article_count", models.PositiveIntegerField()),
                (
                    "other",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="conditions.symptom",
                    ),
                ),
                (
                    "symptom",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="conditions.symptom",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "shared symptoms",
                "indexes": [
                    models.Index(
                        condition=models.Q(("other", models.F("symptom"))),
                        fields=["symptom", "article_count"],
                        name="symptom_own_count",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("symptom", "other"), name="unique_symptom_pair")
                ],
            },
        ),
        migrations.RunSQL(COUNT_SHARED_SYMPTOMS, migrations.RunSQL.noop),
    ]
