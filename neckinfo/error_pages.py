"""The site's own error pages in its own words: "page not found", "not allowed" and a refused
form (CSRF), for readers on the public site and for editors in the admin (in the admin's
design, with its navigation, so an editor is never dropped onto a bare "403 Forbidden").

Under DEBUG (`make run`) Django answers an unknown address with its technical page, which
lists every URL pattern: not what an editor trying the site should see. So
`FriendlyNotFoundMiddleware` shows the site's own 404 page then too, with a link to the
technical page for developers (`?debug-404`), or Django's page always with
`DJANGO_TECHNICAL_404=1`.
"""

from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve

# Add it to any address under DEBUG to get Django's technical 404 page instead of the site's.
TECHNICAL_404_PARAMETER = "debug-404"


def in_admin(request: HttpRequest) -> bool:
    return request.path.startswith("/" + settings.ADMIN_PATH)


def _admin_context(request: HttpRequest) -> dict:
    """What the admin's base template needs: its titles, and the navigation when the person
    is staff (each_context reads their permissions)."""
    context = admin.site.each_context(request)
    user = getattr(request, "user", None)
    if user is None or not user.is_active or not user.is_staff:
        # No app list or sidebar for someone who may not use the admin.
        context.update(available_apps=[], is_nav_sidebar_enabled=False, has_permission=False)
    return context


def _render(request, template: str, context: dict, status: int) -> HttpResponse:
    response = TemplateResponse(request, template, context, status=status)
    response.render()  # here, so a failure to render is this page's, not a later middleware's
    return response


def page_not_found(request, exception=None) -> HttpResponse:
    """The 404 page: the admin's for addresses under the admin, the site's elsewhere."""
    context = {"request_path": request.path}
    if settings.DEBUG:
        # Only while developing: what Django knew, and where its technical page is.
        context["technical_404_url"] = f"{request.path}?{TECHNICAL_404_PARAMETER}"
        context["technical_reason"] = _reason(exception)
    if in_admin(request):
        return _render(
            request,
            "admin/404.html",
            {**_admin_context(request), **context, "title": "Page not found"},
            404,
        )
    return _render(request, "404.html", context, 404)


def permission_denied(request, exception=None) -> HttpResponse:
    """The 403 page: what the person can do instead, in the admin's design under the admin."""
    if in_admin(request):
        return _render(
            request,
            "admin/403.html",
            {**_admin_context(request), "title": "You can't do that here"},
            403,
        )
    return _render(request, "403.html", {}, 403)


def csrf_failure(request, reason: str = "") -> HttpResponse:
    """A form refused because its security token was missing or stale: usually a page left
    open while its sign-in expired, or cookies blocked. Says what to do, in plain words."""
    context = {"posted": request.method == "POST"}
    if settings.DEBUG:
        context["technical_reason"] = reason
    if in_admin(request):
        context["posted_text"] = _posted_writing(request)
        return _render(
            request,
            "admin/403_csrf.html",
            {**_admin_context(request), **context, "title": "Your form could not be sent"},
            403,
        )
    return _render(request, "403_csrf.html", context, 403)


def _posted_writing(request) -> list[tuple[str, str]]:
    """What a signed-in editor wrote in an article form refused for its token, to copy:
    usually they signed in again in another tab, which replaced the token. Never shown to
    someone signed out: a post forged on another site arrives without the session cookie
    (SameSite=Lax), so nobody else's text can be put on this page."""
    user = getattr(request, "user", None)
    if request.method != "POST" or not (user and user.is_authenticated and user.is_staff):
        return []
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return []
    # The admin's add and change views carry their ModelAdmin; an article's reads its form.
    read_text = getattr(getattr(view, "model_admin", None), "posted_text", None)
    return read_text(request) if read_text else []


def _reason(exception) -> str:
    if exception is None:
        return ""
    if isinstance(exception.args[0] if exception.args else None, dict):
        return "No address pattern matches this path."  # Django's Resolver404 carries a dict
    return str(exception)


class FriendlyNotFoundMiddleware:
    """Under DEBUG, the site's own 404 page instead of Django's technical one (which lists
    every URL pattern), unless the address asks for it with `?debug-404` or
    `DJANGO_TECHNICAL_404=1` is set. Without DEBUG Django already uses `page_not_found`.

    Placed before the page cache, which drops query parameters a page doesn't read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def _active(self, request) -> bool:
        if not settings.DEBUG or settings.TECHNICAL_404:
            return False
        return TECHNICAL_404_PARAMETER not in request.META.get("QUERY_STRING", "").split("&")

    def __call__(self, request):
        request.friendly_not_found = self._active(request)
        response = self.get_response(request)
        if (
            request.friendly_not_found
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
        ):
            # No view was found for the address: Django's technical page is what came back.
            friendly = page_not_found(request, Http404("No view matches this address."))
            if "Content-Security-Policy" in response:
                friendly["Content-Security-Policy"] = response["Content-Security-Policy"]
            return friendly
        return response

    def process_exception(self, request, exception):
        # A view raised Http404 (a draft, an unknown slug, the admin's own): under DEBUG
        # Django would answer it with the technical page.
        if isinstance(exception, Http404) and getattr(request, "friendly_not_found", False):
            return page_not_found(request, exception)
        return None
