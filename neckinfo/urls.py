from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from conditions.feeds import LatestArticlesFeed
from conditions.sitemaps import robots_txt, sitemap_index, sitemap_section
from conditions.views import healthz

urlpatterns = [
    path(settings.ADMIN_PATH, admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("sitemap.xml", sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemap_section, name="sitemap_section"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("feed/", LatestArticlesFeed(), name="feed"),
    path("", include("conditions.urls")),
]

# The site's own error pages, in the admin's design under the admin (neckinfo/error_pages.py).
handler403 = "neckinfo.error_pages.permission_denied"
handler404 = "neckinfo.error_pages.page_not_found"
