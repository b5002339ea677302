"""What editors do in the admin: write, tag, publish, correct and unpublish articles."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conditions.models import Article, ConditionArticle, FaqArticle, Symptom
from tests.browser_forms import add_inline_rows, admin_change_form, edit_live_article
from tests.factories import (
    DRAFT,
    make_condition,
    make_faq,
    make_symptom,
    ready_to_publish,
)

pytestmark = pytest.mark.django_db


ADD_CONDITION = "/admin/conditions/conditionarticle/add/"
# What an editor types into a new condition article.
CONDITION = {
    "title": "Whiplash",
    "slug": "whiplash",
    "summary": "A neck injury caused by a sudden jolt of the head.",
    "body": "## Causes\n\nA car accident or a fall.",
    "when_to_get_medical_help": "Go to A&E if your arms feel weak.",
    "status": DRAFT,
}


def test_editor_creates_tags_and_publishes_a_condition_article(superuser_client, reader):
    neck_pain, dizziness = make_symptom("Neck pain"), make_symptom("Dizziness")

    data = admin_change_form(superuser_client, ADD_CONDITION)
    data.update(CONDITION, symptoms=[str(neck_pain.pk), str(dizziness.pk)])
    response = superuser_client.post(ADD_CONDITION, data)

    assert response.status_code == 302
    article = ConditionArticle.objects.get(slug="whiplash")
    assert article.status == DRAFT
    assert sorted(s.name for s in article.symptoms.all()) == ["Dizziness", "Neck pain"]
    assert reader.get("/conditions/whiplash/").status_code == 404

    ready_to_publish(article)  # a medical reviewer who didn't write it signs it off
    response = superuser_client.post(
        "/admin/conditions/conditionarticle/",
        {"action": "publish_selected", "_selected_action": [article.pk]},
        follow=True,
    )

    assert "1 article is now published." in response.content.decode()
    page = reader.get("/conditions/whiplash/").content.decode()
    assert "A car accident or a fall." in page
    assert 'href="/symptoms/dizziness/"' in page
    assert "Whiplash" in reader.get("/symptoms/neck-pain/?with=dizziness").content.decode()


def test_editor_creates_an_faq_with_ordered_questions(superuser_client, reader):
    spasm = make_symptom("Muscle spasm")

    url = "/admin/conditions/faqarticle/add/"
    data = admin_change_form(superuser_client, url)
    data.update(
        title="Neck spasm questions",
        slug="neck-spasm-questions",
        summary="Answers to common questions about neck spasms.",
        symptoms=[str(spasm.pk)],
        status=DRAFT,
    )
    add_inline_rows(
        data,
        "items",
        [
            {"question": "How do you release a neck spasm?", "answer": "Apply **heat**.",
             "position": "2"},
            {"question": "Why does my neck keep spasming?", "answer": "Usually a strain.",
             "position": "1"},
            # Left empty: goes last.
            {"question": "Can anxiety cause neck spasms?", "answer": "Yes.", "position": ""},
        ],
    )  # fmt: skip
    response = superuser_client.post(url, data)

    assert response.status_code == 302
    faq = ready_to_publish(FaqArticle.objects.get(slug="neck-spasm-questions"))
    superuser_client.post(
        "/admin/conditions/faqarticle/",
        {"action": "publish_selected", "_selected_action": [faq.pk]},
    )
    assert [item.question for item in faq.items.all()] == [
        "Why does my neck keep spasming?",
        "How do you release a neck spasm?",
        "Can anxiety cause neck spasms?",
    ]
    page = reader.get("/faqs/neck-spasm-questions/").content.decode()
    assert page.index("Why does my neck keep spasming?") < page.index("How do you release")
    assert "Apply <strong>heat</strong>." in page
    assert 'href="#can-anxiety-cause-neck-spasms"' in page


def test_editor_corrects_a_published_article_and_readers_see_the_correction(
    superuser_client, reader
):
    article = make_condition("Whiplash", ["Neck pain"])

    # In its working copy (issue 13: a live article is never edited in place), published.
    edit_live_article(superuser_client, article, {"body": "## Causes\n\nCorrected text."})

    assert "Corrected text." in reader.get("/conditions/whiplash/").content.decode()


def test_unpublish_action_takes_the_article_off_the_site(superuser_client, reader):
    article = make_condition("Whiplash", ["Neck pain"])

    superuser_client.post(
        "/admin/conditions/conditionarticle/",
        {"action": "unpublish_selected", "_selected_action": [article.pk]},
    )

    article.refresh_from_db()
    assert article.status == Article.Status.UNPUBLISHED
    assert reader.get("/conditions/whiplash/").status_code == 404
    assert "Whiplash" not in reader.get("/symptoms/").content.decode()


def test_republishing_keeps_the_first_published_time(superuser_client):
    article = make_condition("Whiplash")
    first_published = article.published_at
    article.unpublish()

    article.publish()

    article.refresh_from_db()
    assert article.published_at == first_published


def test_symptom_field_only_offers_existing_symptoms(superuser_client):
    # An unknown id (e.g. a typo'd new symptom) is refused instead of created.
    data = admin_change_form(superuser_client, ADD_CONDITION)
    data.update(CONDITION, symptoms=["999999"])
    response = superuser_client.post(ADD_CONDITION, data)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ConditionArticle.objects.exists()
    assert not Symptom.objects.filter(pk=999999).exists()


def test_symptom_autocomplete_finds_symptoms_by_name_and_synonym(superuser_client):
    make_symptom("Dizziness", synonyms="vertigo, light-headedness")

    response = superuser_client.get(
        "/admin/autocomplete/",
        {
            "term": "vertigo",
            "app_label": "conditions",
            "model_name": "conditionarticle",
            "field_name": "symptoms",
        },
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["Dizziness"]


def test_change_form_has_view_on_site_and_symptom_autocomplete(superuser_client):
    article = make_condition("Whiplash", ["Neck pain"], status=DRAFT)

    page = superuser_client.get(f"/admin/conditions/conditionarticle/{article.pk}/change/")

    html = page.content.decode()
    assert "View on site" in html
    assert "admin-autocomplete" in html
    assert 'id="add_id_symptoms"' in html  # the deliberate "+" to add a new symptom


def test_article_list_shows_columns_and_filters(superuser_client):
    make_condition("Whiplash", ["Neck pain", "Headache"])
    make_condition("Draft article", ["Jaw pain"], status=DRAFT)

    html = superuser_client.get("/admin/conditions/conditionarticle/").content.decode()

    assert "Whiplash" in html and "Draft article" in html
    assert "Headache, Neck pain" in html or "Neck pain, Headache" in html
    assert "?status__exact=draft" in html
    assert "?symptom=jaw-pain" in html
    filtered = superuser_client.get("/admin/conditions/conditionarticle/?symptom=jaw-pain")
    assert "Whiplash" not in filtered.content.decode()


def test_admin_article_search_finds_text_in_faq_questions(superuser_client):
    make_faq("Neck spasms", [("Can anxiety cause neck spasms?", "Yes.")])
    make_faq("Other", [("Something else?", "No.")])

    html = superuser_client.get("/admin/conditions/faqarticle/?q=anxiety").content.decode()

    assert "Neck spasms" in html
    assert ">Other<" not in html


def test_symptom_admin_shows_article_counts(superuser_client):
    make_condition("Whiplash", ["Neck pain"])
    make_condition("Draft", ["Neck pain"], status=DRAFT)

    response = superuser_client.get("/admin/conditions/symptom/?q=neck+pain")

    symptom = response.context["cl"].result_list.get(name="Neck pain")
    assert (symptom.published_total, symptom.article_total) == (1, 2)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/conditions/conditionarticle/",
        "/admin/conditions/faqarticle/",
        "/admin/conditions/symptom/",
    ],
)
def test_admin_lists_cost_the_same_queries_for_1_and_30_articles(superuser_client, url):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert superuser_client.get(url).status_code == 200
        return len(queries)

    make_condition("Article 0", ["Neck pain", "Headache"])
    make_faq("Faq 0", [("Why?", "Because.")], ["Neck pain"])
    with_one = queries_for_list()

    for number in range(1, 30):
        make_condition(f"Article {number}", ["Neck pain", f"Symptom {number}"])
        make_faq(f"Faq {number}", [("Why?", "Because.")], [f"Symptom {number}"])

    assert queries_for_list() == with_one


def test_case_variant_symptom_name_is_refused_in_the_symptom_admin(superuser_client):
    make_symptom("Dizziness")

    url = "/admin/conditions/symptom/add/"
    data = admin_change_form(superuser_client, url)
    data.update(name="dizziness", slug="dizziness-2", red_flag_level="emergency")
    response = superuser_client.post(url, data)

    assert response.status_code == 200
    assert "A symptom with this name already exists" in response.content.decode()
    assert Symptom.objects.filter(name__iexact="dizziness").count() == 1


def test_every_article_kind_is_reachable_from_the_base_table():
    make_condition("Whiplash")
    make_faq("Neck spasms", [("Why?", "Because.")])

    kinds = dict(Article.objects.values_list("title", "kind"))

    assert kinds == {"Whiplash": "condition", "Neck spasms": "faq"}


def test_admin_index_offers_symptoms_but_not_taggits_unused_tags(superuser_client):
    html = superuser_client.get("/admin/").content.decode()

    assert "/admin/conditions/symptom/" in html
    assert "/admin/taggit/tag/" not in html
