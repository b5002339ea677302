"""`generate_demo_content`: bulk demo articles for benchmarks, which must still look right."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from conditions.markdown import render_markdown
from conditions.models import Article, ConditionArticle, FaqArticle, FaqItem, Symptom

pytestmark = pytest.mark.django_db


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_demo_content", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db) -> str:
    """40 demo articles over 50 symptoms; the command's output."""
    return generate("40", "--symptoms", "50")


def test_demo_articles_are_published_and_listed(client, demo):
    conditions = list(Article.objects.published().filter(kind=Article.Kind.CONDITION))
    faqs = list(Article.objects.published().filter(kind=Article.Kind.FAQ))

    assert len(conditions) + len(faqs) == 40
    assert len(faqs) == 12  # the default share of 0.3
    condition_list = client.get("/conditions/").content.decode()
    faq_list = client.get("/faqs/").content.decode()
    assert all(f'href="{article.get_absolute_url()}"' in condition_list for article in conditions)
    assert all(f'href="{article.get_absolute_url()}"' in faq_list for article in faqs)
    assert "Created 40 articles (28 condition, 12 FAQ" in demo


def test_symptoms_are_topped_up_to_the_requested_number(db):
    shipped = set(Symptom.objects.values_list("pk", flat=True))

    generate("5", "--symptoms", "50")

    assert Symptom.objects.count() == 50
    generated = Symptom.objects.exclude(pk__in=shipped)
    assert len(generated) == 50 - len(shipped)
    for symptom in generated:  # e.g. "Tingling in the fingers", with "pins and needles in …"
        assert symptom.synonym_list and symptom.description.startswith(symptom.name)


def test_each_demo_article_has_two_to_six_symptoms_it_mentions(demo):
    articles = Article.objects.annotate(symptom_count=Count("tagged_symptoms"))
    assert {article.symptom_count for article in articles} <= {2, 3, 4, 5, 6}

    for article in Article.objects.prefetch_related("symptoms"):
        article = article.specific()
        text = (article.body if article.kind == Article.Kind.CONDITION else article.intro).lower()
        for symptom in article.symptoms.all():
            assert any(term.lower() in text for term in symptom.terms), (article, symptom)


def test_demo_faqs_have_ordered_questions_with_unique_anchors(client, demo):
    for faq in FaqArticle.objects.all():
        items = list(faq.items.all())
        assert 3 <= len(items) <= 8
        assert [item.position for item in items] == list(range(1, len(items) + 1))
        assert len({item.anchor for item in items}) == len(items)

    faq = FaqArticle.objects.annotate(n=Count("items")).order_by("-n", "pk").first()
    page = client.get(faq.get_absolute_url()).content.decode()
    positions = [page.index(f'<h2 id="{item.anchor}"') for item in faq.items.all()]
    assert positions == sorted(positions)


def test_demo_article_and_symptom_pages_render(client, demo):
    pages = [
        *ConditionArticle.objects.order_by("pk")[:3],
        *FaqArticle.objects.order_by("pk")[:3],
        *Symptom.objects.in_use().order_by("-article_count")[:3],
        *Symptom.objects.in_use().order_by("article_count", "-pk")[:2],  # generated ones
    ]
    for page in pages:
        response = client.get(page.get_absolute_url())
        assert response.status_code == 200, page
        assert str(page) in response.content.decode()


def test_demo_articles_are_found_by_search(client, demo):
    # bulk_create sends no signals: the command rebuilds the search index itself.
    article = ConditionArticle.objects.order_by("pk").first()
    symptom = article.symptoms.order_by("pk").last()

    page = client.get("/search/", {"q": f'"{symptom.name}"'}).content.decode()

    assert article.get_absolute_url() in page


def test_pages_cached_before_generating_show_the_demo_articles(client, db):
    assert "No question pages have been published yet." in client.get("/faqs/").content.decode()

    generate("10", "--symptoms", "40")

    page = client.get("/faqs/").content.decode()
    assert all(faq.get_absolute_url() in page for faq in FaqArticle.objects.all())


def test_the_same_seed_writes_the_same_titles(db):
    generate("15", "--symptoms", "40", "--seed", "7")
    first = list(Article.objects.order_by("pk").values_list("title", flat=True))
    Article.objects.all().delete()
    generate("15", "--symptoms", "40", "--seed", "7")
    again = list(Article.objects.order_by("pk").values_list("title", flat=True))
    Article.objects.all().delete()
    generate("15", "--symptoms", "40", "--seed", "8")
    other_seed = list(Article.objects.order_by("pk").values_list("title", flat=True))

    assert again == first
    assert other_seed != first


def test_demo_markdown_is_rendered_sanitised_html(demo):
    article = ConditionArticle.objects.order_by("pk").first()
    assert article.body_html == render_markdown(article.body)
    assert "<h2 id=" in article.body_html and "<li>" in article.body_html
    assert article.when_to_get_medical_help_html == render_markdown(
        article.when_to_get_medical_help
    )
    item = FaqItem.objects.order_by("pk").first()
    assert item.answer_html == render_markdown(item.answer)

    html = [
        *ConditionArticle.objects.values_list("body_html", "when_to_get_medical_help_html"),
        *FaqArticle.objects.values_list("intro_html", "intro_html"),
        *FaqItem.objects.values_list("answer_html", "answer_html"),
    ]
    assert all(first and "<script" not in first + second for first, second in html)


def test_the_command_refuses_nonsense_arguments(db):
    with pytest.raises(CommandError, match="at least 1"):
        generate("0")
    with pytest.raises(CommandError, match="between 0 and 1"):
        generate("5", "--faq-share", "1.5")
    assert not Article.objects.exists()


def test_many_articles_render_on_every_cpu_to_the_same_pages(db, monkeypatch):
    """From a few thousand articles on, their Markdown is rendered by forked workers; the
    pages must read exactly as if rendered one by one."""
    from conditions.management.commands import generate_demo_content as command

    monkeypatch.setattr(command, "RENDER_IN_PARALLEL_FROM", 1)
    monkeypatch.setattr(command.os, "cpu_count", lambda: 2)
    generate("30", "--symptoms", "40")

    for condition in ConditionArticle.objects.all():
        assert condition.body_html == render_markdown(condition.body)
    for faq in FaqArticle.objects.all():
        assert faq.intro_html == render_markdown(faq.intro)
    assert ConditionArticle.objects.count() + FaqArticle.objects.count() == 30
