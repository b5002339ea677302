"""The admin's preview at a phone's and a desktop's width at once: the same rendered page in
two frames, the desktop one scaled to fit beside the phone.

The page is rendered once (by the article admin's preview, from the form's unsaved content)
and put in both frames as `srcdoc`, so nothing is posted twice and no address of the preview
has to be framed (the site's pages refuse to be framed: `frame-ancestors 'none'`).
"""

from django.template.response import TemplateResponse

# Width and height in CSS pixels: a common phone, and the desktop window editors are checked at.
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# What the Preview button posts as `_preview` for this view (plain Preview posts "Preview").
SIDE_BY_SIDE = "side-by-side"


def wanted(request) -> bool:
    return request.POST.get("_preview") == SIDE_BY_SIDE


def side_by_side(request, admin_site, article, page) -> TemplateResponse:
    """`page` (the rendered preview of `article`) at a phone's and a desktop's width."""
    response = TemplateResponse(
        request,
        "admin/conditions/preview_side_by_side.html",
        {
            **admin_site.each_context(request),
            "title": f"Preview of “{article.title}” on a phone and a desktop",
            "page": page.content.decode(page.charset),
            "phone": PHONE,
            "desktop": DESKTOP,
        },
    )
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, no-store"
    return response
