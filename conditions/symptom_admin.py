"""The symptom vocabulary in the admin: names, synonyms, and how many articles use each."""

from django.contrib import admin
from django.db.models import Count

from conditions.models import Symptom, published_q


@admin.register(Symptom)
class SymptomAdmin(admin.ModelAdmin):
    list_display = ["name", "synonyms", "published_articles", "all_articles"]
    search_fields = ["name", "synonyms"]  # also what the articles' autocomplete searches
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "description", "synonyms"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                article_total=Count("tagged_articles", distinct=True),
                published_total=Count(
                    "tagged_articles",
                    filter=published_q("tagged_articles__content_object__"),
                    distinct=True,
                ),
            )
        )

    @admin.display(description="published articles", ordering="published_total")
    def published_articles(self, symptom):
        return symptom.published_total

    @admin.display(description="all articles", ordering="article_total")
    def all_articles(self, symptom):
        return symptom.article_total
