"""`/feed/`: an Atom feed of new and updated articles, newest change first."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from conditions.models import Article

FEED_LENGTH = 30


class LatestArticlesFeed(Feed):
    feed_type = Atom1Feed
    title = f"{settings.SITE_NAME}: new and updated articles"
    subtitle = "Articles about neck and head symptoms, as they are published and updated."
    link = reverse_lazy("conditions:home")
    feed_url = reverse_lazy("feed")
    author_name = settings.SITE_NAME
    item_author_name = settings.SITE_NAME

    def items(self):
        return (
            Article.objects.published().with_symptoms().order_by("-updated_at", "-pk")[:FEED_LENGTH]
        )

    def item_title(self, article):
        return article.title

    def item_description(self, article):
        return article.summary

    def item_pubdate(self, article):
        return article.published_at

    def item_updateddate(self, article):
        return article.updated_at

    def item_categories(self, article):
        return [symptom.name for symptom in article.symptoms.all()]
