"""The symptom vocabulary: one symptom whatever the capitals, synonyms, and the shipped list."""

import pytest
from django.db import IntegrityError, transaction

from conditions.models import Symptom
from tests.factories import make_condition, make_symptom

pytestmark = pytest.mark.django_db


def test_two_new_spellings_in_one_save_make_one_symptom():
    article = make_condition("Whiplash")

    article.symptoms.add("Sudden giddiness", "sudden GIDDINESS", "SUDDEN giddiness")

    assert Symptom.objects.filter(name__iexact="sudden giddiness").count() == 1
    assert [s.name for s in article.symptoms.all()] == ["Sudden giddiness"]


def test_a_new_spelling_of_an_existing_symptom_reuses_it():
    existing = make_symptom("Neck pain")
    article = make_condition("Whiplash")

    article.symptoms.set(["NECK PAIN"])

    assert list(article.symptoms.all()) == [existing]
    assert Symptom.objects.filter(name__iexact="neck pain").count() == 1


def test_the_database_refuses_a_case_variant_duplicate():
    make_symptom("Neck pain")

    with pytest.raises(IntegrityError), transaction.atomic():
        Symptom.objects.create(name="neck PAIN", slug="neck-pain-again")


def test_synonyms_are_read_as_a_list():
    symptom = Symptom(name="Dizziness", synonyms=" vertigo, light-headedness,, lightheaded ")

    assert symptom.terms == ["Dizziness", "vertigo", "light-headedness", "lightheaded"]


def test_the_shipped_vocabulary_covers_the_sample_symptoms():
    names = {name.lower() for name in Symptom.objects.values_list("name", flat=True)}

    for expected in [
        "neck stiffness", "dizziness", "neck pain", "shoulder pain", "arm numbness",
        "headache", "muscle spasm", "fatigue", "palpitations", "tingling", "numbness",
        "weakness", "jaw pain", "blurred vision", "nausea",
    ]:  # fmt: skip
        assert expected in names
    dizziness = Symptom.objects.get(name="Dizziness")
    assert "vertigo" in dizziness.synonym_list
    assert dizziness.description


def with_red_flag(slug: str, advice: str, level: str) -> Symptom:
    symptom = Symptom.objects.get(slug=slug)
    symptom.red_flag_advice, symptom.red_flag_level = advice, level
    symptom.save()
    return symptom


def test_stiff_neck_with_fever_shows_the_warning_signs_even_with_no_article(client):
    with_red_flag(
        "neck-stiffness", "A stiff neck with a fever and a headache can be meningitis.", "emergency"
    )
    with_red_flag("fever", "A fever that lasts more than 3 days.", "urgent")
    make_condition("Neck strain", ["Neck stiffness"])

    page = client.get("/symptoms/neck-stiffness/", {"with": "fever"}).content.decode()

    assert "No article covers all of these symptoms together." in page
    box = page[page.index('<aside class="help-now"') : page.index("</aside>")]
    assert "tel:999" in box and "tel:111" in box and 'href="#red-flags-title"' in box
    warning_signs = page[page.index('id="red-flags-title"') : page.index('id="results-title"')]
    assert "can be meningitis" in warning_signs and "lasts more than 3 days" in warning_signs
    assert warning_signs.index("meningitis") < warning_signs.index("3 days")  # emergency first


def test_a_symptom_without_red_flags_has_no_get_help_now_box(client):
    make_symptom("Achy neck")
    make_condition("Neck strain", ["Achy neck"])

    page = client.get("/symptoms/achy-neck/").content.decode()

    assert "help-now" not in page and 'id="red-flags-title"' not in page
