"""The addresses of the pages named by one slug (an article's, a symptom's), which lists link
to by the hundred: `reverse()` once per URL configuration, then each slug put in its place;
and of the pages without arguments that every page's navigation names (fixed_address).

`reverse()` takes about 24 µs; a symptom page links to its 20 articles and their 100 symptoms.
"""

import functools
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS

PLACEHOLDER = "SLUG"
PATH_SAFE = RFC3986_SUBDELIMS + "/~:@"


def page_address(view_name: str, slug: str) -> str:
    """What `reverse(view_name, args=[slug])` returns, for a view taking just a slug."""
    return page_addresses(view_name)(slug)


def page_addresses(view_name: str) -> Callable[[str], str]:
    """page_address(view_name, slug) for many slugs: the script prefix and URL configuration
    (each a thread-local lookup) read once, for a list's hundred links."""
    before, after = _around_the_slug(
        view_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF
    )

    def address(slug: str) -> str:
        if not slug:
            return reverse(view_name, args=[slug])  # no such page: NoReverseMatch, as ever
        # Quoted as reverse() quotes what it puts into a path.
        return f"{before}{quote(slug, safe=PATH_SAFE)}{after}"

    return address


def fixed_address(view_name: str) -> str:
    """What `reverse(view_name)` returns, for a view without arguments, worked out once per
    URL configuration: every page names a dozen (its header, footer, search form)."""
    return _fixed_address(view_name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=256)
def _fixed_address(view_name: str, script_prefix: str, urlconf: str) -> str:
    return reverse(view_name, urlconf=urlconf)


@functools.lru_cache(maxsize=64)
def _around_the_slug(view_name: str, script_prefix: str, urlconf: str) -> tuple[str, str]:
    """The address of `view_name` before and after its slug (the arguments make the key: the
    address depends on the script prefix and on which URL configuration is in use)."""
    before, _, after = reverse(view_name, args=[PLACEHOLDER], urlconf=urlconf).rpartition(
        PLACEHOLDER
    )
    return before, after
