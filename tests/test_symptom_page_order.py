"""A symptom page lists its articles A to Z, page after page, each once, drafts and articles
scheduled for later never among them, whichever way the database reads them: by sorting the
symptom's articles (on SQLite, a narrowed page's found from the symptoms' index first), or (on
SQLite, for a common symptom) by stepping along the titles' index and keeping those that carry
it (conditions.narrowing.in_title_order)."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from conditions import narrowing
from conditions.caching import WORKER_PAGES
from conditions.views import ARTICLES_PER_PAGE
from tests.factories import DRAFT, make_condition

pytestmark = pytest.mark.django_db


@pytest.fixture
def common_and_rare_symptoms():
    # Titles whose A–Z order differs from the order they were written in, two of them equal.
    for number in range(45):
        title = f"{'Zebra' if number % 3 else 'aardvark'} article {number * 7 % 45:02}"
        symptoms = ["Neck pain", "Headache"] if number % 2 else ["Neck pain"]
        if number % 2 and number > 3:
            symptoms.append("Dizziness")
        make_condition(title, symptoms)
    every_symptom = ["Neck pain", "Headache", "Dizziness"]
    make_condition("Aardvark article 00", every_symptom)  # a title shared
    make_condition("Draft", every_symptom, status=DRAFT)
    make_condition("Scheduled", every_symptom, published_at=timezone.now() + timedelta(days=1))


def listed(reader, url: str) -> list[str]:
    """The article titles of every page of a symptom page, in order."""
    titles, number = [], 1
    while True:
        response = reader.get(f"{url}{'&' if '?' in url else '?'}page={number}")
        if response.status_code == 404:
            return titles
        page = response.content.decode()
        titles += re.findall(r'class="card__title"><a href="[^"]+">([^<]+)</a>', page)
        number += 1


@pytest.mark.parametrize(
    "url, articles",
    [
        ("/symptoms/neck-pain/", 46),
        ("/symptoms/headache/", 23),
        ("/symptoms/neck-pain/?with=headache", 23),
        ("/symptoms/neck-pain/?with=headache&with=dizziness", 21),
    ],
)
def test_a_symptom_page_lists_its_articles_a_to_z_whichever_way_they_are_read(
    reader, common_and_rare_symptoms, monkeypatch, url, articles
):
    # Sorted: as the database is told to read them when a symptom is rare.
    monkeypatch.setattr(narrowing, "FEW_TO_SORT", 10**9)
    sorted_titles = listed(reader, url)
    # Stepped along the titles' index (on SQLite), as for a symptom most articles carry.
    monkeypatch.setattr(narrowing, "FEW_TO_SORT", 0)
    monkeypatch.setattr(narrowing, "STEPPED_MICROSECONDS", 0.0)
    cache.clear(), WORKER_PAGES.clear()  # every page rendered afresh
    stepped_titles = listed(reader, url)

    assert stepped_titles == sorted_titles
    assert sorted_titles == sorted(sorted_titles, key=str.lower)
    assert len(set(sorted_titles)) == len(sorted_titles) == articles  # each once, on 2–3 pages
    assert articles > ARTICLES_PER_PAGE
    assert "Draft" not in sorted_titles and "Scheduled" not in sorted_titles
