"""What search engines and link previews read: canonical addresses and JSON-LD (schema.org).

The builders return plain dicts; `json_ld_script` turns one into a `<script>` element that
content can never break out of. Everything is built from the request, so absolute addresses
follow whatever host the site is served on (no sites framework, no SITE_URL setting).
"""

import json
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from conditions.markdown import text_of_html

LANGUAGE = "en-GB"

# The three characters that could end the script element or start markup inside it. JSON
# parsers read the \uXXXX escapes back as the same characters.
_SCRIPT_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def json_ld_script(data: dict) -> SafeString:
    """A `<script type="application/ld+json">` element holding `data`."""
    text = json.dumps({"@context": "https://schema.org", **data}, ensure_ascii=False, indent=None)
    return format_html(
        '<script type="application/ld+json">{}</script>', mark_safe(text.translate(_SCRIPT_ESCAPES))
    )


def canonical_url(request, page=None) -> str:
    """The page's own address without its query string; a list past page 1 keeps `?page=`."""
    path = request.path
    if page is not None and page.number > 1:
        path += f"?page={page.number}"
    return request.build_absolute_uri(path)


def breadcrumb_list(request, trail: Iterable[tuple[str, str]]) -> dict:
    """A BreadcrumbList from Home through `trail`, a list of (name, path) pairs."""
    crumbs = [("Home", reverse("conditions:home")), *trail]
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": position,
                "name": name,
                "item": request.build_absolute_uri(path),
            }
            for position, (name, path) in enumerate(crumbs, start=1)
        ],
    }


def medical_web_page(request, article, symptoms) -> dict:
    """A condition article: a MedicalWebPage about a MedicalCondition and its symptoms."""
    condition = {"@type": "MedicalCondition", "name": article.title}
    if symptoms:
        condition["signOrSymptom"] = [
            {"@type": "MedicalSignOrSymptom", "name": symptom.name} for symptom in symptoms
        ]
    trail = [("Conditions", reverse("conditions:condition_list"))]
    return {
        "@type": "MedicalWebPage",
        **_page_properties(request, article, trail),
        "about": condition,
    }


def faq_page(request, article, items) -> dict:
    """An FAQ article: an FAQPage whose questions carry their answers as plain text."""
    trail = [("Common questions", reverse("conditions:faq_list"))]
    return {
        "@type": "FAQPage",
        **_page_properties(request, article, trail),
        "mainEntity": [
            {
                "@type": "Question",
                "name": item.question,
                "acceptedAnswer": {"@type": "Answer", "text": text_of_html(item.answer_html)},
            }
            for item in items
        ],
    }


def _page_properties(request, article, trail: list[tuple[str, str]]) -> dict:
    """What every article's page says about itself, whatever its schema.org type."""
    url = request.build_absolute_uri(article.get_absolute_url())
    page = {
        "name": article.title,
        "description": article.summary,
        "url": url,
        "inLanguage": LANGUAGE,
    }
    # An unsaved article in the admin's preview has neither date yet.
    if article.published_at:
        page["datePublished"] = article.published_at.isoformat(timespec="seconds")
    if article.updated_at:
        page["dateModified"] = article.updated_at.isoformat(timespec="seconds")
    # A sign-off voided by a later change of content is not a review of this page.
    reviewed = getattr(article, "review_is_current", True)
    if article.last_reviewed_on and reviewed:
        page["lastReviewed"] = article.last_reviewed_on.isoformat()
    if article.reviewed_by and reviewed:
        page["reviewedBy"] = {"@type": "Person", "name": article.reviewed_by}
    if url_of_image := article.lead_image_shown.get("url"):
        shown = article.lead_image_shown
        page["image"] = {
            "@type": "ImageObject",
            "url": request.build_absolute_uri(url_of_image),
            "width": shown["width"],
            "height": shown["height"],
        }
    page["publisher"] = {
        "@type": "Organization",
        "name": settings.SITE_NAME,
        "url": request.build_absolute_uri(reverse("conditions:home")),
    }
    page["breadcrumb"] = breadcrumb_list(
        request, [*trail, (article.title, article.get_absolute_url())]
    )
    return page
