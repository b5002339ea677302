"""Template helpers for NeckInfo's pages."""

import html
import re
from functools import lru_cache

import segno
from django import template
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from conditions.addresses import fixed_address
from conditions.importer import lowercase_name

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
        # Reviewed wording, said wherever no article's own advice applies (the footer, a
        # search that finds nothing): one place, so the two never drift apart.
        "emergency_signs": "a sudden severe headache with a stiff neck and fever, weakness on "
        "one side, or trouble speaking",
    }


@register.simple_tag
def address(view_name: str) -> str:
    """`{% url view_name %}` for a page without arguments, looked up once rather than on every
    page (a `reverse()` takes 23 µs; the site's header, footer and search form name a dozen
    pages, 0.35 ms of each page)."""
    return fixed_address(view_name)


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


SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")


@register.filter
def body_after_summary(article) -> SafeString:
    """The article's rendered text without an opening that repeats its summary word for word,
    as the text of articles imported before the importer left those sentences out does: the
    summary leads the page under the title, and readers read it once.

    A rule at display time, not a data migration: removing the sentences from the stored
    text would change reviewed content and void every sign-off of those articles. Anything
    but an exact repeat shows the text whole."""
    body_html, summary = article.body_html, article.summary.strip()
    # Markdown escapes only these three characters in a paragraph's text.
    opening = "<p>" + html.escape(summary, quote=False)
    if not summary or not body_html.startswith(opening):
        return mark_safe(body_html)
    rest = body_html[len(opening) :]
    if rest.startswith("</p>"):  # the whole paragraph was the summary
        return mark_safe(rest[len("</p>") :].lstrip())
    if rest[:1].isspace() and SENTENCE_END.search(summary):  # and the paragraph goes on
        return mark_safe("<p>" + rest.lstrip())
    return mark_safe(body_html)  # the summary stopped mid-sentence: the text reads on whole


@register.filter
def mid_sentence(name: str) -> str:
    """A symptom's name as it reads inside a sentence: "neck pain", but "TMJ pain"."""
    return lowercase_name(name)


@register.simple_tag(takes_context=True)
def page_address(context) -> str:
    """The page's full address without its query string, for the printed handout."""
    request = context["request"]
    return request.build_absolute_uri(request.path)


# A scheme and a host Django has checked against ALLOWED_HOSTS: nothing that could end a CSS
# string or the style element.
_SITE_ADDRESS = re.compile(r"^https?://[A-Za-z0-9.:\[\]-]+$")


@register.simple_tag(takes_context=True)
def print_site_address(context) -> SafeString:
    """A style element giving the print style sheet the site's scheme and host, which it
    writes in front of internal links' paths so a handout shows full addresses."""
    address = context["request"].build_absolute_uri("/").rstrip("/")
    if not _SITE_ADDRESS.match(address):
        return mark_safe("")  # links then print their paths alone
    return mark_safe(f"<style>@media print {{ :root {{ --site-address: '{address}'; }} }}</style>")


@register.simple_tag
def qr_code(address: str) -> SafeString:
    """A QR code of `address` as inline SVG, so a printed handout leads back to the page."""
    return _qr_code_svg(address)


# Drawing one takes about half a millisecond and 2.8 KB; only page-cache misses draw one, and
# each app server keeps the last few hundred so a page rendered again reuses its code.
@lru_cache(maxsize=512)
def _qr_code_svg(address: str) -> SafeString:
    code = segno.make(address, error="m", micro=False)
    # Safe as it is: segno writes only its own attributes and numbers (the address becomes the
    # drawn modules, never text).
    svg = code.svg_inline(omitsize=True, svgclass="qr-code", lineclass=None, border=2)
    return mark_safe(svg)
