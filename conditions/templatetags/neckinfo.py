"""Template helpers for NeckInfo's pages."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def help_contacts() -> dict:
    """The numbers and service that "Get help now", the care callouts and the footer name:
    settings, so a deployment outside the UK changes them in one place. A tag, not a context
    processor, because the 400 and 500 pages render without a request."""
    return {
        "emergency_number": settings.EMERGENCY_NUMBER,
        "urgent_number": settings.URGENT_NUMBER,
        "urgent_online_url": settings.URGENT_ONLINE_URL,
        "urgent_online_name": settings.URGENT_ONLINE_NAME,
    }


@register.simple_tag(takes_context=True)
def page_url(context, number: int) -> str:
    """The current address with `page` set to `number`, keeping every other parameter."""
    return "?" + query_with(context, page=number)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters changed (None removes one)."""
    query = context["request"].GET.copy()
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return query.urlencode()
