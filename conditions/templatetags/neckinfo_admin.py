"""Template helpers for NeckInfo's admin pages."""

from django import template

from conditions import editorial, history

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
