"""Template helpers for the admin's home page about what readers search for."""

from django import template

from conditions import search_insights

register = template.Library()


@register.simple_tag
def searches_that_found_nothing(days: int = 7) -> int:
    return search_insights.searches_that_found_nothing(days)
