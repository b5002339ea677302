"""`/feed/`: an Atom feed of new and updated articles, newest change first.

Whatever an article holds, the feed is well-formed XML (characters XML 1.0 forbids, such as
Word's soft line break U+000B, are removed as it is written), and summaries go out as plain
text, so a feed reader shows any markup in one as text instead of running it.
"""

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.xmlutils import SimplerXMLGenerator

from conditions.models import Article

FEED_LENGTH = 30

# Everything outside XML 1.0's `Char` production: the C0 control characters other than tab,
# line feed and carriage return, the surrogates, and U+FFFE and U+FFFF.
NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Line and page breaks (U+000B, U+000C) separate words, so they become spaces.
LINE_BREAKS = re.compile(r"[\x0b\x0c]")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 forbids."""
    return NOT_IN_XML.sub("", LINE_BREAKS.sub(" ", text))


class XmlTextWriter(SimplerXMLGenerator):
    """Writes every text and attribute value through `xml_text`."""

    def characters(self, content):
        super().characters(xml_text(content))

    def startElement(self, name, attrs):
        attrs = {key: xml_text(value) for key, value in attrs.items()} if attrs else attrs
        super().startElement(name, attrs)


class PlainTextAtomFeed(Atom1Feed):
    """Atom, written by `XmlTextWriter`, with `<summary type="text">`."""

    def write(self, outfile, encoding):
        # Atom1Feed.write, with our writer.
        handler = XmlTextWriter(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")

    def add_item_elements(self, handler, item):
        # Atom1Feed writes the summary as type="html": a reader would render markup in it.
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class LatestArticlesFeed(Feed):
    feed_type = PlainTextAtomFeed
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
