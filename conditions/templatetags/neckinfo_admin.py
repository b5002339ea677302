"""Template helpers for NeckInfo's admin pages."""

from django import template

from conditions import editorial, history
from conditions.admin import deletion

register = template.Library()


@register.simple_tag
def articles_needing_attention() -> dict[str, int]:
    return editorial.articles_needing_attention()


@register.simple_tag
def changes_asked_of(user):
    """Review comments waiting for `user`, the author, to act on."""
    return editorial.open_review_comments(user)


@register.filter
def revision_time(version) -> str:
    return history.revision_time(version)


@register.filter
def revision_in_words(version) -> str:
    """Who did what in a revision, in a sentence (see conditions.history)."""
    noun = "symptom" if version.content_type.model == "symptom" else "article"
    return history.revision_in_words(version, noun)


@register.simple_tag
def what_deleting_does(articles) -> list:
    """What deleting an article, or the selected ones, does (see conditions.admin.deletion)."""
    return deletion.what_deleting_does(articles)


@register.filter
def revision_person(user) -> str:
    """Who saved a revision, by name."""
    return history.person(user)
