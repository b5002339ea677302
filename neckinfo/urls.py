from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from conditions.feeds import LatestArticlesFeed
from conditions.sitemaps import SITEMAPS, robots_txt
from conditions.views import healthz

urlpatterns = [
    path(settings.ADMIN_PATH, admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("feed/", LatestArticlesFeed(), name="feed"),
    path("", include("conditions.urls")),
]
