"""Article.editing_problems: the scraped leftovers that make an article "need editing".

Articles imported before this are checked once here, so the admin flags them without waiting
for their next save. The parts are listed as the models list them today (a migration keeps
its own copy: the models may change later).
"""

from django.db import migrations, models

from conditions import leftovers


def shortened(question: str) -> str:
    return question if len(question) <= 60 else f"{question[:59]}…"


def find_leftovers(apps, schema_editor):
    ConditionArticle = apps.get_model("conditions", "ConditionArticle")
    FaqArticle = apps.get_model("conditions", "FaqArticle")
    FaqItem = apps.get_model("conditions", "FaqItem")
    Article = apps.get_model("conditions", "Article")
    for article in ConditionArticle.objects.iterator():
        parts = [
            ("Title", article.title),
            ("Summary", article.summary),
            ("Body", article.body),
            ("Non-urgent advice", article.when_to_get_medical_help),
            ("Urgent advice", article.urgent_help),
            ("Emergency advice", article.emergency_help),
        ]
        problems = "\n".join(leftovers.editing_problems(parts))
        Article.objects.filter(pk=article.pk).update(editing_problems=problems)
    for faq in FaqArticle.objects.iterator():
        parts = [("Title", faq.title), ("Summary", faq.summary), ("Introduction", faq.intro)]
        questions = FaqItem.objects.filter(faq_id=faq.pk).order_by("position", "id")
        for question, answer in questions.values_list("question", "answer"):
            short = shortened(question)
            parts += [(f"Question “{short}”", question), (f"Answer to “{short}”", answer)]
        problems = "\n".join(leftovers.editing_problems(parts))
        Article.objects.filter(pk=faq.pk).update(editing_problems=problems)


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0015_audit_created_and_saved"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="editing_problems",
            field=models.TextField(
                blank=True, default="", editable=False, verbose_name="needs editing"
            ),
        ),
        migrations.RunPython(find_leftovers, migrations.RunPython.noop, elidable=True),
    ]
