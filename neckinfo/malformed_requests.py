"""Requests no browser sends, answered with the friendly 400 page before they cost anything.

No link and no form puts a control character in an address, but scanners do, and PostgreSQL
refuses a NUL in any text it is asked to compare (a 500 from any anonymous visitor). So,
before the page cache, the session or the database is touched:

- a path may hold no control character at all: no page's address has one;
- a query string's names and values may hold the whitespace control characters (tab, line
  breaks, and Word's soft line break U+000B), because readers paste text into the search box
  and search reads them as spaces; any other control character, NUL among them, is refused;
- a sign-in's username may be no longer than an account's can be (the form's box stops there):
  django-axes records the username of every failed sign-in, and PostgreSQL refuses one longer
  than its column.

Other unusual characters (C1 controls, U+FFFF, invalid UTF-8) harm nothing and are let
through: Django reads invalid UTF-8 as U+FFFD. The admin's forms are not screened here: a
field holding a NUL gets the form's own error, and the editor's text stays on the form.
"""

import re
from functools import cached_property
from urllib.parse import unquote_plus

from csp.utils import build_policy
from django.contrib.auth import get_user_model
from django.http import HttpResponseBadRequest
from django.template import loader
from django.urls import reverse

# The C0 control characters and DEL.
CONTROL_IN_PATH = re.compile(r"[\x00-\x1f\x7f]")
# The same, except the whitespace among them (Python's string.whitespace): tab, line feed,
# U+000B, form feed and carriage return.
CONTROL_IN_QUERY = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


class RefuseMalformedRequestsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self.is_malformed(request):
            response = HttpResponseBadRequest(self.friendly_page)
            # The page passes no other middleware that would add the site's policy.
            response["Content-Security-Policy"] = self.security_policy
            return response
        return self.get_response(request)

    def is_malformed(self, request) -> bool:
        if CONTROL_IN_PATH.search(request.path):
            return True
        # Decoded whole rather than through request.GET: the same characters, without parsing
        # a thousand repeated parameters just to refuse them.
        query = unquote_plus(request.META.get("QUERY_STRING", ""), errors="replace")
        if CONTROL_IN_QUERY.search(query):
            return True
        return (
            request.method == "POST"
            and request.path == self.sign_in_path
            and len(request.POST.get("username", "")) > self.longest_username
        )

    @cached_property
    def friendly_page(self) -> bytes:
        """templates/400.html, rendered once: it shows nothing from the request, and a flood
        of hostile requests should cost next to nothing (rendering it takes 6 ms)."""
        return loader.get_template("400.html").render().encode()

    @cached_property
    def security_policy(self) -> str:
        return build_policy()

    @cached_property
    def sign_in_path(self) -> str:
        return reverse("admin:login")

    @cached_property
    def longest_username(self) -> int:
        user_model = get_user_model()
        return user_model._meta.get_field(user_model.USERNAME_FIELD).max_length
