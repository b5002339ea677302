"""The A–Z index of articles also holds whether each is public (status, publish time), so that
a deep page of a common symptom checks the articles it steps past in the index instead of
reading each one (see Article.Meta). Built before the old index is dropped: the lists are
never without one."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0028_shared_symptom_counts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                django.db.models.functions.text.Lower("title"),
                models.F("id"),
                models.F("status"),
                models.F("published_at"),
                name="article_title_order_public",
            ),
        ),
        migrations.RemoveIndex(model_name="article", name="article_title_order"),
    ]
