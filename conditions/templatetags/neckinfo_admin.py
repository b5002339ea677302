"""Template helpers for NeckInfo's admin pages."""

from django import template

from conditions import editorial

register = template.Library()


@register.simple_tag
def articles_needing_attention() -> dict[str, int]:
    return editorial.articles_needing_attention()
