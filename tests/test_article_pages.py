"""Article pages readers can trust and use: care levels, red flags, contents, print."""

from datetime import date

import pytest

from conditions.models import Symptom
from tests.factories import make_condition, make_faq, make_symptom

pytestmark = pytest.mark.django_db


def test_the_three_levels_of_care_are_distinct_callouts_in_nhs_order(client):
    article = make_condition(
        "Whiplash",
        when_to_get_medical_help="- the pain lasts more than 6 weeks",
        urgent_help="- painkillers do not help",
        emergency_help="- your arms or legs feel **weak**",
    )

    page = client.get(article.get_absolute_url()).content.decode()

    non_urgent = page.index("Non-urgent advice:")
    urgent = page.index("Urgent advice:")
    emergency = page.index("Immediate action required:")
    assert non_urgent < urgent < emergency
    assert "See a GP if:" in page
    assert 'Ask for an urgent GP appointment or call <a href="tel:111">111</a> if:' in page
    assert 'Call <a href="tel:999">999</a> or go to A&amp;E if:' in page
    assert 'class="care-callout care-callout--emergency"' in page
    assert "<li>your arms or legs feel <strong>weak</strong></li>" in page


def test_a_level_with_nothing_to_say_is_left_out(client):
    article = make_condition("Whiplash", when_to_get_medical_help="- it lasts a month")

    page = client.get(article.get_absolute_url()).content.decode()

    assert "Non-urgent advice:" in page
    assert "Urgent advice:" not in page and "Immediate action required:" not in page


def test_red_flag_advice_of_a_symptom_shows_on_every_article_with_it(client):
    headache = make_symptom("Headache")
    headache.red_flag_advice = "A sudden, **very severe** headache with a stiff neck and fever."
    headache.red_flag_level = Symptom.RedFlagLevel.EMERGENCY
    headache.save()
    condition = make_condition("Tension headache", ["Headache"])
    faq = make_faq("Headache questions", [("Why?", "Because.")], ["Headache"])
    other = make_condition("Jaw pain", ["Jaw pain"])

    for article in (condition, faq):
        page = client.get(article.get_absolute_url()).content.decode()
        emergency = page[page.index("Immediate action required:") :]
        assert "Headache:" in emergency
        assert "<strong>very severe</strong>" in emergency
    assert "very severe" not in client.get(other.get_absolute_url()).content.decode()


def test_the_shipped_vocabulary_has_red_flags_for_meningitis_and_stroke_signs():
    assert Symptom.objects.get(slug="neck-stiffness").red_flag_level == "emergency"
    assert "high temperature" in Symptom.objects.get(slug="neck-stiffness").red_flag_advice_html
    assert "stroke" in Symptom.objects.get(slug="weakness").red_flag_advice


def test_long_article_has_on_this_page_contents(client):
    article = make_condition(
        "Whiplash",
        body="Intro.\n\n## Causes\n\nA.\n\n## Symptoms\n\nB.\n\n## What you can do\n\nC.",
        emergency_help="- weak arms",
    )

    page = client.get(article.get_absolute_url()).content.decode()

    contents = page[page.index("On this page") : page.index("</nav>", page.index("On this page"))]
    assert '<a href="#causes">Causes</a>' in contents
    assert '<a href="#what-you-can-do">What you can do</a>' in contents
    assert '<a href="#care-title">When to get medical help</a>' in contents


def test_short_article_has_no_contents_list(client):
    article = make_condition("Whiplash", body="## Causes\n\nA fall.")

    assert "On this page" not in client.get(article.get_absolute_url()).content.decode()


def test_print_handout_footer_names_the_site_address_and_dates(client):
    article = make_condition(
        "Whiplash", reviewed_by="Dr A Patel, MRCGP", last_reviewed_on=date(2026, 3, 10)
    )

    page = client.get(article.get_absolute_url()).content.decode()

    footer = page[page.index('class="print-footer"') :]
    assert "http://testserver/conditions/whiplash/" in footer
    assert "Last updated" in footer and "Medically reviewed by Dr A Patel, MRCGP" in footer
    assert "data-print-button hidden" in page  # shown by print-button.js, useless without it


def test_print_stylesheet_hides_navigation_and_writes_out_links(client):
    css = b"".join(client.get("/static/css/site.css").streaming_content).decode()

    print_rules = css[css.index("@media print") :]
    assert ".site-header" in print_rules and ".search-form" in print_rules
    assert 'content: " (" attr(href) ")"' in print_rules


def test_get_help_now_sits_under_the_title_with_numbers_to_tap(client):
    article = make_condition(
        "Whiplash",
        summary="What could cause neck pain after a jolt.",
        urgent_help="- painkillers do not help",
        emergency_help="- your arms or legs feel weak",
    )

    page = client.get(article.get_absolute_url()).content.decode()

    box = page[page.index('<aside class="help-now"') : page.index("</aside>")]
    assert page.index("<h1>") < page.index('<aside class="help-now"') < page.index('class="lead"')
    assert '<a href="tel:999">999</a> or go to A&amp;E' in box
    assert '<a href="tel:111">111</a> or use <a href="https://111.nhs.uk/">111 online</a>' in box
    assert box.count('href="#care-title"') == 2 and 'id="care-title"' in page


def test_a_page_with_only_non_urgent_advice_has_no_get_help_now_box(client):
    article = make_condition("Whiplash", when_to_get_medical_help="- it lasts a month")

    assert "help-now" not in client.get(article.get_absolute_url()).content.decode()


def test_a_deployment_elsewhere_sets_its_own_numbers_in_one_place(client, settings):
    settings.EMERGENCY_NUMBER, settings.URGENT_NUMBER = "112", "116117"
    settings.URGENT_ONLINE_URL, settings.URGENT_ONLINE_NAME = "https://www.116117.de/", "116117.de"
    article = make_condition(
        "Whiplash", urgent_help="- it gets worse", emergency_help="- you faint"
    )

    page = client.get(article.get_absolute_url()).content.decode()

    assert '<a href="tel:112">112</a>' in page and '<a href="tel:116117">116117</a>' in page
    assert '<a href="https://www.116117.de/">116117.de</a>' in page
    assert "tel:999" not in page and "tel:111" not in page
