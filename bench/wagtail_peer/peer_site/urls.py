from articles.views import search
from django.urls import include, path
from wagtail import urls as wagtail_urls

urlpatterns = [path("search/", search, name="search"), path("", include(wagtail_urls))]
