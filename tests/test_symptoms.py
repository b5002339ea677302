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
