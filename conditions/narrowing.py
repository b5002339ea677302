"""Narrowing a symptom page: the further symptoms its articles share, and the addresses of
the pages a reader goes to by adding or removing a symptom.

At 10,000 articles a symptom page offers a couple of hundred further symptoms. Counting them
with `annotate(Count(...))` on Symptom grouped by every symptom column, text included (22 ms
of a 57 ms page); building each address with `reverse()` and `urlencode()` took 6.6 ms more.
"""

from urllib.parse import quote

from django.db.models import Count
from django.urls import reverse

from conditions.models import Symptom, TaggedArticle


def further_symptoms(articles, selected: list[Symptom], limit: int | None = None) -> list:
    """The symptoms `articles` also carry besides `selected`, each with `match_count`: how
    many of the articles it would leave. Most shared first, then by name; the first `limit`.

    Two queries: the article–symptom rows counted per symptom id (no symptom columns to
    group by), then the names of just the symptoms shown.
    """
    counts = dict(
        TaggedArticle.objects.filter(content_object__in=articles.values("pk"))
        .exclude(tag__in=selected)
        .values_list("tag_id")
        .annotate(match_count=Count("*"))
        .order_by()
    )
    wanted = counts.keys()
    if limit is not None and len(counts) > limit:
        # Ties are put in order by name, which only the symptom table has: read every symptom
        # with at least the count of the last one shown.
        last_shown = sorted(counts.values(), reverse=True)[limit - 1]
        wanted = [pk for pk, count in counts.items() if count >= last_shown]
    symptoms = list(Symptom.objects.filter(pk__in=wanted).only("name", "slug"))
    for symptom in symptoms:
        symptom.match_count = counts[symptom.pk]
    symptoms.sort(key=lambda symptom: (-symptom.match_count, symptom.name.lower()))
    return symptoms[:limit]


class NarrowingLinks:
    """Addresses of a symptom page (`conditions:symptom`) or of its full list of further
    symptoms (`conditions:further_symptoms`) for a list of slugs, the first the page's own
    and the rest `?with=` narrowing it: one `reverse()` for all the links on a page."""

    PLACEHOLDER = "SLUG"

    def __init__(self, view_name: str = "conditions:symptom"):
        address = reverse(view_name, args=[self.PLACEHOLDER])
        self.before, _, self.after = address.rpartition(self.PLACEHOLDER)

    def to(self, slugs: list[str], page: int = 1) -> str:
        """The page for `slugs` (the symptoms A to Z when there are none), at `page`."""
        if not slugs:
            return reverse("conditions:symptom_list")
        query = [f"with={quote(slug, safe='')}" for slug in slugs[1:]]
        if page > 1:
            query.append(f"page={page}")
        address = f"{self.before}{quote(slugs[0], safe='')}{self.after}"
        return f"{address}?{'&'.join(query)}" if query else address
