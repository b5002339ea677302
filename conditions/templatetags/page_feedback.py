"""Template helpers for "Is this page useful?" (conditions/feedback.py)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def feedback_comment_max_length() -> int:
    return settings.FEEDBACK_COMMENT_MAX_LENGTH
