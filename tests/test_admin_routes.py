"""Every route the admin registers obeys the roles, however it is reached.

Ed, an Editor, walks every URL the admin site has (Django's own, django-reversion's, ours, and
any a library adds later), with every kind of id, GETs it and POSTs the forms it shows, with
all their text rewritten, and every list action, including the ones he isn't offered. None
of it may change a published article or what readers are told about a symptom.
"""

import re
from itertools import product

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver
from reversion.models import Version

from conditions.models import (
    Article,
    AuditEvent,
    ConditionArticle,
    FaqArticle,
    Symptom,
)
from tests.browser_forms import admin_change_form, edit_live_article, form_data
from tests.conftest import shared_by_the_tests_inside
from tests.factories import make_staff, make_symptom, ready_to_publish

pytestmark = pytest.mark.django_db

Status = Article.Status
EDITORS_TEXT = "Rewritten by an editor, never reviewed."
FORM_ID = re.compile(r'<form[^>]*\sid="([^"]+)"')
# Fields whose value is machinery, not text, and would only make a post fail earlier.
MACHINERY = re.compile(
    r"csrfmiddlewaretoken|loaded_version|TOTAL_FORMS|INITIAL_FORMS|MIN_NUM_FORMS|MAX_NUM_FORMS"
    r"|-id$|-faq$|-article$|^_|^action$|^index$|^select_across$|^_selected_action$"
)


def admin_routes(patterns=None, prefix="") -> list[tuple[str, URLPattern]]:
    """(the pattern's text from the admin's root, pattern) for every URL the admin has."""
    routes = []
    for entry in admin.site.get_urls() if patterns is None else patterns:
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += admin_routes(entry.url_patterns, text)
        else:
            routes.append((text, entry))
    return routes


def publish_through_the_admin(client, model, *, reviewed: dict, status=Status.PUBLISHED,
                              **content) -> Article:  # fmt: skip
    """Rita writes a draft (its first revision), then saves the reviewed text; another
    reviewer signs it off (the publish gate isn't these tests' subject) and she sets `status`."""
    url = f"/admin/conditions/{model._meta.model_name}/add/"
    data = admin_change_form(client, url)
    data.update(status=Status.DRAFT, **content)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    article = model.objects.latest("pk")
    change = f"/admin/conditions/{model._meta.model_name}/{article.pk}/change/"
    data = admin_change_form(client, change)
    data.update(reviewed, status=Status.IN_REVIEW)
    assert client.post(change, data).status_code == 302
    ready_to_publish(article)
    data = admin_change_form(client, change)
    data.update(status=status)
    assert client.post(change, data).status_code == 302
    return article


@pytest.fixture(scope="class")
def live_content(django_db_setup, django_db_blocker):
    """Published articles with draft revisions in their history, a revision shared by two
    articles (a list action saves every article it changes in one revision), a symptom with
    red-flag advice on them, and a draft of Ed's: written by Rita through the admin, once
    for the class of tests that use it (each test's own changes are rolled back)."""
    with shared_by_the_tests_inside(django_db_blocker):
        reviewer_client = Client()
        reviewer_client.force_login(make_staff("rita", "Medical reviewer", "Rita Okafor"))
        yield content_reviewed_and_published(reviewer_client)


def content_reviewed_and_published(reviewer_client) -> dict:
    red_flag = make_symptom(
        "Neck stiffness",
        description="A neck that is hard to move.",
        red_flag_advice="A stiff neck **with a high temperature** and a rash.",
        red_flag_level=Symptom.RedFlagLevel.EMERGENCY,
    )
    condition = publish_through_the_admin(
        reviewer_client,
        ConditionArticle,
        title="Whiplash",
        slug="whiplash",
        summary="A neck injury.",
        body="An unreviewed first draft.",
        symptoms=[str(red_flag.pk)],
        reviewed={"body": "Reviewed advice about whiplash.", "emergency_help": "Numb arms."},
    )
    faq = publish_through_the_admin(
        reviewer_client,
        FaqArticle,
        title="Neck spasms",
        slug="neck-spasms",
        summary="Questions about neck spasms.",
        **{"items-0-question": "Why?", "items-0-answer": "A first draft answer."},
        **{"items-TOTAL_FORMS": "1"},
        reviewed={"items-0-answer": "The reviewed answer."},
    )
    # Two articles published together by one action, so one revision holds both; then the
    # first is taken down (an editor may change it again) and the second corrected.
    together = []
    for title in ("Torticollis", "Tension headache"):
        together.append(
            publish_through_the_admin(
                reviewer_client, ConditionArticle, title=title,
                slug=title.lower().replace(" ", "-"), summary=f"About {title}.", body="Draft.",
                reviewed={"body": f"{title}: reviewed."}, status=Status.IN_REVIEW,
            )
        )  # fmt: skip
    reviewer_client.post(
        "/admin/conditions/conditionarticle/",
        {"action": "publish_selected", "_selected_action": [a.pk for a in together]},
    )
    taken_down, corrected = together
    reviewer_client.post(
        "/admin/conditions/conditionarticle/",
        {"action": "unpublish_selected", "_selected_action": [taken_down.pk]},
    )
    edit_live_article(reviewer_client, corrected, {"body": "The corrected, reviewed advice."})
    # A published article deleted by a reviewer, which an editor could try to recover.
    gone = publish_through_the_admin(
        reviewer_client, ConditionArticle, title="Old advice", slug="old-advice",
        summary="Withdrawn.", body="Wrong.", reviewed={"body": "Withdrawn advice."},
    )  # fmt: skip
    reviewer_client.post(f"/admin/conditions/conditionarticle/{gone.pk}/delete/", {"post": "yes"})
    make_symptom("Unused symptom", red_flag_advice="Call 999 if it gets worse.")
    return {"published": [condition, faq, corrected], "symptom": red_flag}


def what_readers_see() -> dict:
    """Everything about published articles and symptoms' advice that a reader could see."""
    articles = {}
    for article in Article.objects.filter(status=Status.PUBLISHED).order_by("pk"):
        article = article.specific()
        fields = {
            name: getattr(article, name, None)
            for name in ["title", "slug", "summary", "status", "published_at", "body",
                         "when_to_get_medical_help", "urgent_help", "emergency_help", "intro",
                         "reviewed_by", "last_reviewed_on"]
        }  # fmt: skip
        fields["symptoms"] = sorted(article.symptoms.values_list("pk", flat=True))
        fields["sources"] = list(article.sources.values_list("title", "url"))
        if isinstance(article, FaqArticle):
            fields["items"] = list(article.items.values_list("question", "answer"))
        articles[article.pk] = fields
    # Every symptom's advice; the names and addresses of those on published articles (an
    # editor may rename a symptom that no published article carries yet).
    symptoms = list(
        Symptom.objects.order_by("pk").values_list(
            "pk", "description", "red_flag_advice", "red_flag_level"
        )
    )
    public_names = list(
        Symptom.objects.filter(tagged_articles__content_object__status=Status.PUBLISHED)
        .order_by("pk")
        .values_list("pk", "name", "slug")
        .distinct()
    )
    return {"articles": articles, "symptoms": symptoms, "public_names": public_names}


def concrete_urls(text: str, pattern: URLPattern, ids: dict) -> list[str]:
    """The pattern's URL filled in with every kind of id the test has."""
    regex = pattern.pattern.regex
    groups = regex.groups
    if not groups:
        return ["/admin/" + text.replace("^", "").replace("$", "")]
    names = list(regex.groupindex) or []
    if "history/" in text and groups == 2:
        return [
            f"/admin/{re.sub(r'[(].*', '', text).replace('^', '')}{pk}/history/{version}/"
            for pk, version in ids["revisions"]
        ]
    elif "recover/" in text:
        choices = [ids["versions"]]
    elif names == ["app_label"]:
        choices = [["conditions", "auth"]]
    elif names == ["content_type_id", "object_id"]:
        choices = [ids["content_types"], ids["objects"]]
    else:
        choices = [ids["objects"]] * groups
    urls = []
    for values in product(*choices):
        url = text
        for value in values:
            url = re.sub(r"<[^>]+>|\([^)]*\)", str(value), url, count=1)
        urls.append("/admin/" + url.replace("^", "").replace("$", ""))
    return urls


# Fields that aren't free text: changed only where an attack needs them changed.
NOT_TEXT = re.compile(
    r"(^|-)(slug|status|red_flag_level|symptoms|url|position|accessed_on|published_at_\d"
    r"|last_reviewed_on|next_review_due|DELETE|anchor)$"
)


def rewrites(form: dict, symptom: Symptom) -> list[dict]:
    """What an editor trying to get around the roles would post with a form: every piece of
    text rewritten (as it is, and asking to publish, and as a copy), and the red-flag advice
    and description alone."""
    text = {
        name: value if MACHINERY.search(name) or NOT_TEXT.search(name) or isinstance(value, list)
        else EDITORS_TEXT
        for name, value in form.items()
    }  # fmt: skip
    advice = {**form, "red_flag_advice": EDITORS_TEXT, "description": EDITORS_TEXT,
              "red_flag_level": Symptom.RedFlagLevel.URGENT}  # fmt: skip
    return [
        text,
        {**text, "status": Status.PUBLISHED, "red_flag_level": Symptom.RedFlagLevel.URGENT},
        {**text, "_saveasnew": "Save as new"},
        {**text, "symptoms": [str(symptom.pk)], "_continue": "Save"},
        advice,
    ]


ACTIONS = [
    "submit_for_review", "publish_selected", "unpublish_selected", "delete_selected",
    "merge_selected",
]  # fmt: skip


class TestRoutesOnLiveContent:
    """What an editor can reach in the admin, on published and reviewed content."""

    def test_no_admin_route_lets_an_editor_change_what_readers_see(
        self, editor_client, live_content
    ):
        before = what_readers_see()
        symptom = live_content["symptom"]
        articles = list(Article.objects.order_by("pk"))
        unused = Symptom.objects.get(name="Unused symptom")
        # Each article with each of its own revisions, and with another article's newest.
        revisions = [
            (article.pk, version.pk)
            for article in articles
            for version in Version.objects.get_for_object(article.specific())
        ]
        revisions += [(a.pk, b) for (a, (_, b)) in zip(articles, revisions[::-1], strict=False)]
        ids = {
            "objects": [*[a.pk for a in articles], symptom.pk, unused.pk, 999999],
            "versions": [*Version.objects.values_list("pk", flat=True), 999999],
            "revisions": [*revisions, (articles[0].pk, 999999)],
            "content_types": [
                ContentType.objects.get_for_model(model).pk
                for model in (ConditionArticle, FaqArticle, Symptom, Article)
            ],
        }
        walked = set()
        for text, pattern in admin_routes():
            if text.startswith("logout/"):
                continue  # signing out would end the walk, every later page asking to sign in
            for url in concrete_urls(text, pattern, ids):
                page = editor_client.get(url)
                assert page.status_code < 500, (url, page.status_code)
                walked.add(text)
                html = (
                    page.content.decode()
                    if page.get("Content-Type", "").startswith("text/html")
                    else ""
                )
                posts = [{}, {"post": "yes"}]
                for form_id in set(FORM_ID.findall(html)) - {"logout-form"}:
                    posts += rewrites(form_data(html, form_id), symptom)
                if url.endswith(("/conditionarticle/", "/faqarticle/", "/symptom/")):
                    selected = ids["objects"]
                    posts += [
                        {"action": action, "_selected_action": selected, "index": "0",
                         "post": "yes", "confirm": "1", "keep": str(symptom.pk)}
                        for action in ACTIONS
                    ]  # fmt: skip
                for data in posts:
                    response = editor_client.post(url, data)
                    assert response.status_code < 500, (url, data, response.status_code)

        assert editor_client.get("/admin/").status_code == 200, "Ed was signed in throughout"
        assert what_readers_see() == before
        # Every kind of route was walked, library-provided ones included.
        assert any("recover/" in text for text in walked)
        assert any("history/" in text for text in walked)
        assert any("autocomplete" in text for text in walked)
        assert any("delete/" in text for text in walked)

    def test_the_recover_route_cannot_turn_a_live_article_back_into_an_editors_draft(
        self, editor_client, live_content, reader
    ):
        """The hole found: recover/<version>/ wrote the old draft over the live article first and
        checked permission afterwards, against the draft."""
        article = live_content["published"][0]
        draft = Version.objects.get_for_object(article).order_by("pk").first()
        url = f"/admin/conditions/conditionarticle/recover/{draft.pk}/"

        page = editor_client.get(url)
        response = editor_client.post(
            url, {"title": "Whiplash", "body": EDITORS_TEXT, "status": "draft"}
        )

        assert page.status_code == 404 and response.status_code == 404  # not a deleted article
        article.refresh_from_db()
        assert article.status == Status.PUBLISHED
        assert (
            "Reviewed advice about whiplash."
            in reader.get("/conditions/whiplash/").content.decode()
        )
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.RESTORED).exists()
