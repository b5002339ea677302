"""The peer's search page, as a new Wagtail project's search view has it: live pages matching
the query, ten to a page, by Wagtail's own ranking."""

from django.core.paginator import Paginator
from django.template.response import TemplateResponse

from articles.models import ArticlePage


def search(request):
    query = request.GET.get("query", "")
    results = ArticlePage.objects.live().search(query) if query else ArticlePage.objects.none()
    page = Paginator(results, 10).get_page(request.GET.get("page"))
    return TemplateResponse(request, "articles/search.html", {"query": query, "results": page})
