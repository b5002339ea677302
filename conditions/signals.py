"""Everything a change to content sets off, in one place (connected by ConditionsConfig.ready).

The receivers below only note what a save, delete or change of symptoms changed:
- the articles whose search entries must be rebuilt (an article, its questions, its symptoms,
  the name or synonyms of a symptom it carries);
- the FAQs whose reading grade and scraped leftovers must be worked out again (their
  questions changed);
- the symptoms whose shared-symptom counts must be counted again (conditions.models.
  SharedSymptoms): every symptom of an article whose symptoms, or whether it is published,
  changed, before and after the change;
- that content changed at all, so every cached public page is out of date: a new content
  version (see conditions.content_version). An article pinned to a search (PromotedResult)
  is content too: search pages show it.
`Changes.act` then does each of those once.

When: the site's code opens the transaction of a change with `atomic_change()` (the admin's
change form and restore, list actions, a symptom's save, merge or delete, an import). The
changes made inside it are collected and acted on once, at the end of its block, inside the
transaction, just before it commits: one re-index per article, one regrade per FAQ, one new
content version however many rows changed. The work commits with the change or not at all,
so no reader can find a change committed while the content version still names the content
before it (the new version then reaches Redis as it commits), nor the search index a change
behind. Not `transaction.on_commit`: work done after the commit is lost if the process dies
in between, and the test suite runs each test in a transaction that never commits.

A change made outside `atomic_change()` (a shell, a test, a script saving one row) is acted
on at once, as its own transaction would be.

Raw saves (loading fixtures, restoring a revision) are skipped: what they restore comes with
its stored grade, and they are followed by a normal save that re-indexes.

Library images (conditions.images) are not content in this sense: a change to one changes no
live page (each keeps the renditions it was signed off with), so it sets off no new content
version. What an image's save does set off is file work, after the commit (files in storage
can't be rolled back, and a refused or rolled-back save must leave none behind): its
renditions are made, a replaced file deleted, and a deleted image's files removed.
"""

import threading
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from conditions.content_version import new_content_version
from conditions.models import (
    Article,
    ConditionArticle,
    ConditionName,
    ContentVersion,
    FaqArticle,
    FaqItem,
    Image,
    PromotedResult,
    Rendition,
    SlugRedirect,
    Source,
    Symptom,
    SymptomRedirect,
    TaggedArticle,
)
from conditions.narrowing import recount_shared_symptoms
from conditions.search.indexing import refresh_ids, reindex_ids


@dataclass
class Changes:
    """What changed in one transaction, and what follows from it."""

    # Articles whose search entries are rebuilt.
    reindex: set[int] = field(default_factory=set)
    # Articles whose entries are rewritten only if they still have one (a question deleted,
    # perhaps because its whole FAQ is being deleted).
    refresh: set[int] = field(default_factory=set)
    # FAQs whose reading grade and scraped leftovers are worked out again.
    regrade: set[int] = field(default_factory=set)
    # Symptoms whose shared-symptom counts are counted again, with every symptom (after the
    # change) of these articles.
    recount: set[int] = field(default_factory=set)
    recount_symptoms_of: set[int] = field(default_factory=set)
    # Whether anything changed at all (a new content version).
    content: bool = False

    def act(self) -> None:
        if not self.content:  # e.g. a change form only shown, or a refused save
            if self.recount:  # symptoms written back from a revision, at most
                with transaction.atomic():
                    # The lock a new content version takes (see below), without one.
                    list(ContentVersion.objects.select_for_update().filter(pk=1).values("pk"))
                    self.recount_shared_symptoms()
            return
        if self.regrade:
            for faq in FaqArticle.objects.filter(pk__in=self.regrade):
                faq.refresh_from_questions()
        if self.reindex:
            reindex_ids(self.reindex)
        if self.refresh - self.reindex:
            refresh_ids(self.refresh - self.reindex)
        # Last, so that the next publish time it records sees every change.
        new_content_version()
        # After it: its row's lock makes changes recount one at a time (see
        # recount_shared_symptoms).
        self.recount_shared_symptoms()

    def recount_shared_symptoms(self) -> None:
        if self.recount_symptoms_of:
            self.recount.update(
                TaggedArticle.objects.filter(
                    content_object_id__in=self.recount_symptoms_of
                ).values_list("tag_id", flat=True)
            )
        recount_shared_symptoms(self.recount)


# The changes collected by the `atomic_change()` block under way in this thread, if any.
_collecting = threading.local()


@contextmanager
def atomic_change():
    """transaction.atomic() for a change to content: everything it sets off is done once,
    just before the transaction commits. Inside another, the outer one does it."""
    if getattr(_collecting, "changes", None) is not None:
        with transaction.atomic():
            yield
        return
    changes = _collecting.changes = Changes()
    try:
        with transaction.atomic():
            yield
            _collecting.changes = None  # anything acting sets off is done at once
            changes.act()
    finally:
        _collecting.changes = None


def content_changed(
    reindex: Iterable[int] = (),
    refresh: Iterable[int] = (),
    regrade: Iterable[int] = (),
    recount: Iterable[int] = (),
    recount_symptoms_of: Iterable[int] = (),
    content: bool = True,
) -> None:
    """Note a change to content: collected by the `atomic_change()` block under way, else
    acted on at once."""
    changes = getattr(_collecting, "changes", None)
    collected = changes is not None
    if not collected:
        changes = Changes()
    changes.reindex.update(reindex)
    changes.refresh.update(refresh)
    changes.regrade.update(regrade)
    changes.recount.update(recount)
    changes.recount_symptoms_of.update(recount_symptoms_of)
    changes.content = changes.content or content
    if not collected:
        changes.act()


def questions_replaced(faq: FaqArticle) -> None:
    """An FAQ's questions were written in bulk (no signals): re-index and re-grade it."""
    content_changed(reindex=[faq.pk], regrade=[faq.pk])


# The receivers.


def article_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        # Its symptoms' counts, in case whether it is published changed.
        content_changed(reindex=[instance.pk], recount_symptoms_of=[instance.pk])


def question_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        content_changed(reindex=[instance.faq_id], regrade=[instance.faq_id])


def question_deleted(sender, instance, **kwargs):
    content_changed(refresh=[instance.faq_id], regrade=[instance.faq_id])


# A condition's other names are searched, and listed in the conditions A–Z.
def other_name_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        content_changed(reindex=[instance.article_id])


def other_name_deleted(sender, instance, **kwargs):
    # Refreshed, not re-indexed: the article itself may be what is being deleted.
    content_changed(refresh=[instance.article_id])


def symptoms_changed(sender, instance, action, pk_set=None, **kwargs):
    # taggit sends post_add and post_remove even when nothing was added or removed (an
    # admin save of unchanged symptoms): those change nothing.
    if action == "post_clear" or (action in {"post_add", "post_remove"} and pk_set):
        content_changed(reindex=[instance.pk] if isinstance(instance, Article) else [])


def symptom_tagged(sender, instance, raw=False, **kwargs):
    """An article gained or lost a symptom, however: taggit's add, remove and clear, a
    revision's symptoms written back (raw), an article or a symptom deleted (the cascade), a
    merge. Every pair among the symptom and the article's others, before and after, is
    counted again: inside `atomic_change()`, its symptoms when the change is done and every
    symptom it gained or lost are all of those."""
    content_changed(
        recount=[instance.tag_id, *getattr(instance, "symptoms_before", [])],
        recount_symptoms_of=[instance.content_object_id],
        content=False,
    )


def symptom_untagging(sender, instance, **kwargs):
    # Outside `atomic_change()` each deleted row is acted on alone, after the whole delete
    # (of all an article's symptoms, say): the symptoms it had are read while it has them.
    if getattr(_collecting, "changes", None) is None:
        instance.symptoms_before = list(
            TaggedArticle.objects.filter(content_object_id=instance.content_object_id).values_list(
                "tag_id", flat=True
            )
        )


def symptom_saved(sender, instance, raw=False, created=False, **kwargs):
    if raw:
        return
    # A renamed symptom, or new synonyms, change what its articles are found by.
    content_changed(reindex=[] if created else _articles_with(instance))


def symptom_deleting(sender, instance, **kwargs):
    # Its articles are re-indexed once it (and its tags) are gone: see symptom_deleted.
    instance.articles_losing_it = _articles_with(instance)


def symptom_deleted(sender, instance, **kwargs):
    content_changed(reindex=getattr(instance, "articles_losing_it", []))


def saved(sender, raw=False, **kwargs):
    if not raw:
        content_changed()


def deleted(sender, **kwargs):
    content_changed()


def image_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    replaced = getattr(instance, "replaced_file", None)
    instance.replaced_file = None

    def after_commit():
        from conditions.images import make_renditions

        if replaced and replaced != instance.file.name:
            default_storage.delete(replaced)
        make_renditions(instance)  # nothing to do unless the file is new

    # robust: a failure is logged, not shown as an error for a save that succeeded; the
    # renditions are then made the first time the image is placed (picture_html).
    transaction.on_commit(after_commit, robust=True)


def image_deleting(sender, instance, **kwargs):
    # Its renditions' rows go with it (cascade): note their files first.
    instance.files_to_delete = [instance.file.name] + list(
        Rendition.objects.filter(image=instance).values_list("file", flat=True)
    )


def image_deleted(sender, instance, **kwargs):
    names = getattr(instance, "files_to_delete", [instance.file.name])
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names if name])


def image_leaving_articles(sender, instance, **kwargs):
    # The articles whose text shows it (a lead image can't be deleted: PROTECT), found while
    # the image is still there.
    from conditions.images import usage_by_image

    instance.shown_in = usage_by_image([instance]).get(instance.pk, [])


def image_left_articles(sender, instance, **kwargs):
    """The one library change that reaches live pages: a deleted image's renditions are
    deleted with it, so the HTML of the articles that showed it is rendered again, showing
    the reference as the words written instead of a broken picture. Their text is
    unchanged; their sign-off, which covered the image, no longer holds."""
    articles = getattr(instance, "shown_in", [])
    for article in articles:
        article.render_markdown()
        fields = type(article)._meta.concrete_fields
        html = {f.attname: getattr(article, f.attname) for f in fields if f.name.endswith("_html")}
        type(article).objects.filter(pk=article.pk).update(**html)
        if isinstance(article, FaqArticle):
            items = list(article.items.all())
            for item in items:
                item.render_markdown()
            FaqItem.objects.bulk_update(items, ["answer_html"])
    if articles:
        content_changed(reindex=[article.pk for article in articles])


def _articles_with(symptom: Symptom) -> list[int]:
    return list(
        TaggedArticle.objects.filter(tag=symptom).values_list("content_object_id", flat=True)
    )


def connect() -> None:
    """Connect the receivers (once: ConditionsConfig.ready)."""
    for model in (ConditionArticle, FaqArticle):
        post_save.connect(article_saved, sender=model, dispatch_uid=f"saved-{model.__name__}")
        post_delete.connect(deleted, sender=model, dispatch_uid=f"deleted-{model.__name__}")
    post_save.connect(question_saved, sender=FaqItem, dispatch_uid="saved-FaqItem")
    post_delete.connect(question_deleted, sender=FaqItem, dispatch_uid="deleted-FaqItem")
    post_save.connect(other_name_saved, sender=ConditionName, dispatch_uid="saved-ConditionName")
    post_delete.connect(
        other_name_deleted, sender=ConditionName, dispatch_uid="deleted-ConditionName"
    )
    m2m_changed.connect(symptoms_changed, sender=TaggedArticle, dispatch_uid="symptoms-changed")
    post_save.connect(symptom_tagged, sender=TaggedArticle, dispatch_uid="saved-TaggedArticle")
    pre_delete.connect(
        symptom_untagging, sender=TaggedArticle, dispatch_uid="deleting-TaggedArticle"
    )
    post_delete.connect(symptom_tagged, sender=TaggedArticle, dispatch_uid="deleted-TaggedArticle")
    post_save.connect(symptom_saved, sender=Symptom, dispatch_uid="saved-Symptom")
    pre_delete.connect(symptom_deleting, sender=Symptom, dispatch_uid="deleting-Symptom")
    post_delete.connect(symptom_deleted, sender=Symptom, dispatch_uid="deleted-Symptom")
    # Shown on pages, but not searched.
    for model in (Source, SlugRedirect, SymptomRedirect):
        post_save.connect(saved, sender=model, dispatch_uid=f"saved-{model.__name__}")
        post_delete.connect(deleted, sender=model, dispatch_uid=f"deleted-{model.__name__}")
    post_save.connect(image_saved, sender=Image, dispatch_uid="saved-Image")
    pre_delete.connect(image_deleting, sender=Image, dispatch_uid="deleting-Image")
    post_delete.connect(image_deleted, sender=Image, dispatch_uid="deleted-Image")
    pre_delete.connect(image_leaving_articles, sender=Image, dispatch_uid="leaving-Image")
    post_delete.connect(image_left_articles, sender=Image, dispatch_uid="left-Image")
    # Search pages show the articles pinned to their query.
    post_save.connect(saved, sender=PromotedResult, dispatch_uid="saved-PromotedResult")
    post_delete.connect(deleted, sender=PromotedResult, dispatch_uid="deleted-PromotedResult")
