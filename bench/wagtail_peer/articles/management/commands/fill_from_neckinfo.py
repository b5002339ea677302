"""Copy NeckInfo's published articles and their symptoms from a NeckInfo SQLite database (one
filled by `generate_demo_content`) into this Wagtail site: the same titles, slugs, summaries,
rendered text and tags, so both sites serve the same data."""

import sqlite3
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from taggit.models import Tag
from wagtail.models import Page, Site

from articles.models import ArticleIndexPage, ArticlePage, ArticlePageTag


class Command(BaseCommand):
    help = "Fill the peer site from a NeckInfo SQLite database."

    def add_arguments(self, parser):
        parser.add_argument("neckinfo_database", help="path of a NeckInfo SQLite database")

    def handle(self, neckinfo_database, **options):
        started = time.perf_counter()
        source = sqlite3.connect(f"file:{neckinfo_database}?mode=ro", uri=True)
        symptoms = {
            pk: (name, slug)
            for pk, name, slug in source.execute("SELECT id, name, slug FROM conditions_symptom")
        }
        article_symptoms = {}
        for article_id, symptom_id in source.execute(
            "SELECT content_object_id, tag_id FROM conditions_taggedarticle"
        ):
            article_symptoms.setdefault(article_id, []).append(symptom_id)
        faq_items = {}
        for faq_id, question, answer_html in source.execute(
            "SELECT faq_id, question, answer_html FROM conditions_faqitem ORDER BY faq_id, position"
        ):
            faq_items.setdefault(faq_id, []).append(f"<h2>{question}</h2>{answer_html}")
        rows = source.execute(
            "SELECT a.id, a.kind, a.title, a.slug, a.summary, c.body_html, "
            "c.when_to_get_medical_help_html, f.intro_html FROM conditions_article a "
            "LEFT JOIN conditions_conditionarticle c ON c.article_ptr_id = a.id "
            "LEFT JOIN conditions_faqarticle f ON f.article_ptr_id = a.id "
            "WHERE a.status = 'published' ORDER BY a.id"
        ).fetchall()

        with transaction.atomic():
            root = Page.get_first_root_node()
            for child in root.get_children():
                child.delete()  # Wagtail's welcome page, or an earlier fill
            index = root.add_child(instance=ArticleIndexPage(title="Articles", slug="articles"))
            Site.objects.all().delete()
            Site.objects.create(
                hostname="127.0.0.1", port=8000, root_page=index, is_default_site=True
            )
            Tag.objects.all().delete()
            tags = {
                pk: Tag.objects.create(name=name, slug=slug)
                for pk, (name, slug) in symptoms.items()
            }
            for article_id, kind, title, slug, summary, body, when, intro in rows:
                if kind == "faq":
                    body = (intro or "") + "".join(faq_items.get(article_id, []))
                else:
                    body = (body or "") + "<h2>When to get medical help</h2>" + (when or "")
                page = index.add_child(
                    instance=ArticlePage(
                        title=title, slug=slug, kind=kind, summary=summary, body=body
                    )
                )
                ArticlePageTag.objects.bulk_create(
                    ArticlePageTag(content_object=page, tag=tags[symptom_id])
                    for symptom_id in article_symptoms.get(article_id, [])
                )
        # Statistics for the planner now, and the new rows vacuumed, as NeckInfo's
        # generate_demo_content does: PostgreSQL has none until autovacuum gets round to it
        # (565 ms a tag page without them), and autovacuum would then take a core from
        # whatever is measured next.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        self.stdout.write(
            f"Copied {len(rows)} articles and {len(tags)} tags in "
            f"{time.perf_counter() - started:.0f} s."
        )
