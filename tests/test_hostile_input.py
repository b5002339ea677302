"""Hostile requests cost little and answer 4xx, never 5xx: control characters, broken UTF-8,
huge and repeated values and query syntax, in every public address and in the admin.

Addresses holding control characters get the friendly 400 page without a single query; every
other hostile request gets an ordinary page, a 404 or a redirect; none changes the database.
"""

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver

from conditions import working_copies
from conditions.models import Article, Source, Symptom
from tests.browser_forms import admin_change_form, form_data
from tests.conftest import shared_by_the_tests_inside
from tests.factories import make_condition, make_faq

pytestmark = pytest.mark.django_db

FRIENDLY_400_TITLE = "<title>Address not understood – NeckInfo</title>"

# Hostile parts of an address, percent-encoded as they arrive: each is put between two words,
# "neck<value>pain", in a path segment or a query parameter.
CONTROL_CHARACTERS = {f"U+{code:04X}": f"%{code:02X}" for code in range(0x20)} | {"DEL": "%7F"}
HOSTILE_VALUES = {
    **CONTROL_CHARACTERS,
    "next line U+0085": "%C2%85",
    "C1 control U+009F": "%C2%9F",
    "non-character U+FFFE": "%EF%BF%BE",
    "non-character U+FFFF": "%EF%BF%BF",
    "lone surrogate": "%ED%A0%80",
    "invalid UTF-8": "%FF",
    "overlong UTF-8": "%C0%AF",
    "10,000 characters": "x" * 10_000,
    "SQL": "%27+OR+%221%22%3D%221%22+--",  # ' OR "1"="1" --
    "full-text syntax": "NEAR%28neck*+OR+%22pain",  # NEAR(neck* OR "pain
}
# Whitespace a reader's pasted text may hold: tab, line feed, U+000B (Word's soft line
# break), form feed and carriage return. Allowed in a query, never in a path.
PASTED_WHITESPACE = {"U+0009", "U+000A", "U+000B", "U+000C", "U+000D"}
REFUSED_IN_PATH = set(CONTROL_CHARACTERS)
REFUSED_IN_QUERY = REFUSED_IN_PATH - PASTED_WHITESPACE

# Every query parameter a page reads, with an ordinary value; each request makes one of
# them (or an unknown one) hostile.
READ_PARAMETERS = {
    "q": "neck",
    "type": Article.Kind.CONDITION,
    "symptom": "neck-pain",
    "with": "headache",
    "page": "1",
    "p": "1",
}
# A real page's address for each parameter of a URL pattern, when "neck-pain" isn't one.
EXAMPLE_SLUGS = {"conditions:condition": "whiplash", "conditions:faq": "neck-spasms"}
STATIC_FILE = "/static/css/site.css"


def public_routes() -> list[tuple[str, str]]:
    """(name, route) of every URL pattern outside the admin, e.g. ("conditions:faq",
    "faqs/<slug:slug>/"), read from the URLconf so a new page is covered at once."""
    routes = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if pattern.app_name != "admin":
                    walk(pattern.url_patterns, route, pattern.namespace or namespace)
            else:
                routes.append((f"{namespace}:{pattern.name}".lstrip(":"), route))

    walk(get_resolver().url_patterns, "", "")
    return routes


def address(route: str, segment: str) -> str:
    """The route's address with `segment` for each of its parameters."""
    return "/" + re.sub(r"<[^>]+>", segment, route)


def make_content() -> None:
    make_condition("Whiplash", ["Neck pain", "Headache"])
    make_condition("Neck pain at night", ["Neck pain"])
    make_faq("Neck spasms", [("Why does my neck spasm?", "Often from posture.")], ["Neck pain"])


@pytest.fixture
def content(db):
    make_content()


def database_rows() -> dict[str, list[str]]:
    """Every row of every table except the sessions', to show that requests changed nothing."""
    rows = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table != "django_session":
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
                rows[table] = sorted(map(repr, cursor.fetchall()))
    return rows


class Walk:
    """Requests hostile addresses and notes every answer that breaks the rules."""

    def __init__(self, client: Client):
        self.client = client
        self.problems: list[str] = []

    def get(self, url: str, refused: bool) -> None:
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        url = url[:120]
        if response.status_code >= 500:
            self.problems.append(f"{url}: {response.status_code}")
        elif refused and response.status_code != 400:
            self.problems.append(f"{url}: {response.status_code}, not refused")
        elif refused and FRIENDLY_400_TITLE not in response.content.decode():
            self.problems.append(f"{url}: 400 without the friendly page")
        elif refused and queries:
            self.problems.append(f"{url}: refused after {len(queries)} queries")
        elif not refused and response.status_code == 400:
            self.problems.append(f"{url}: refused, though no control character is in it")


def query_string(parameters: dict[str, str], hostile_name: str, hostile: str) -> str:
    """`parameters` as a query string, the one named `hostile_name` set to `hostile`."""
    values = {**parameters, hostile_name: hostile}
    return "&".join(f"{name}={value}" for name, value in values.items())


@pytest.fixture(scope="class")
def public_content(django_db_setup, django_db_blocker):
    """The articles of `content`, made once for the class of tests that only read them."""
    with shared_by_the_tests_inside(django_db_blocker):
        make_content()
        yield


@pytest.mark.usefixtures("public_content")
class TestPublicAddresses:
    """Readers' addresses with hostile values in them, on pages showing articles."""

    @pytest.mark.parametrize(
        "name, route", [*public_routes(), ("static", STATIC_FILE.lstrip("/"))], ids=lambda x: x
    )
    def test_hostile_public_addresses_answer_4xx_and_change_nothing(self, name, route):
        real = address(route, EXAMPLE_SLUGS.get(name, "neck-pain"))
        walk = Walk(Client())
        before = database_rows()

        for label, value in HOSTILE_VALUES.items():
            hostile = f"neck{value}pain"
            # In the route's parameter, or after its address when it has none ("/search/neck…").
            in_path = address(route, hostile) if "<" in route else f"{real}{hostile}"
            walk.get(in_path, refused=label in REFUSED_IN_PATH)
            for parameter in [*READ_PARAMETERS, "utm_source"]:
                query = query_string(READ_PARAMETERS, parameter, hostile)
                walk.get(f"{real}?{query}", refused=label in REFUSED_IN_QUERY)

        assert walk.problems == []
        assert database_rows() == before

    @pytest.mark.parametrize("name, route", public_routes(), ids=lambda x: x)
    def test_a_parameter_repeated_1000_times_costs_no_more_than_once(self, name, route):
        real = address(route, EXAMPLE_SLUGS.get(name, "neck-pain"))
        walk = Walk(Client())

        with CaptureQueriesContext(connection) as once:
            walk.client.get(f"{real}?with=headache")
        with CaptureQueriesContext(connection) as repeated:
            walk.get(f"{real}?" + "&".join(["with=headache"] * 1000), refused=False)
        walk.get(f"{real}?" + "&".join(["with=neck%00pain"] * 1000), refused=True)

        assert walk.problems == []
        assert len(repeated) <= len(once)

    def test_the_nul_addresses_of_the_tracker_are_refused_without_a_query(self, client):
        for url in [
            "/symptoms/neck-pain/?with=%00",
            "/symptoms/%00/",
            "/search/?q=neck&symptom=%00",
            "/search/suggest/?q=a%00b",
        ]:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 400, url
            assert FRIENDLY_400_TITLE in response.content.decode()
            assert len(queries) == 0, url

    @pytest.mark.parametrize(
        "pasted", ["neck%09pain", "neck%0Apain", "neck%0Bpain", "neck%0D%0Apain"]
    )
    def test_a_search_pasted_with_tabs_or_line_breaks_still_finds_articles(self, client, pasted):
        typed = client.get("/search/?q=neck+pain").context["results"].hits

        response = client.get(f"/search/?q={pasted}")

        assert response.status_code == 200
        assert response.context["results"].hits == typed
        assert "Neck pain at night" in [hit.article.title for hit in typed]


def test_more_parameters_than_django_reads_get_the_friendly_page(client):
    response = client.get("/search/?" + "&".join(["q=neck"] * 1001))

    assert response.status_code == 400
    assert FRIENDLY_400_TITLE in response.content.decode()


def test_the_friendly_400_page_has_the_sites_security_headers(client):
    response = client.get("/search/?q=%00")

    assert response.status_code == 400
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


# The admin, signed in

# The query parameters each admin list reads besides q (search), o (order) and p (page).
ADMIN_LIST_FILTERS = {
    "conditionarticle": ["status", "review", "symptom"],
    "faqarticle": ["status", "review", "symptom"],
    "auditevent": ["action", "user__id__exact"],
    "searchcount": ["days"],
}
AUTOCOMPLETE = {
    "term": "neck",
    "app_label": "conditions",
    "model_name": "conditionarticle",
    "field_name": "symptoms",
}


def admin_lists() -> dict[str, list[str]]:
    """The query parameters of every admin list of the app, by model name."""
    return {
        model._meta.model_name: ["q", "o", "p", *ADMIN_LIST_FILTERS.get(model._meta.model_name, [])]
        for model in admin.site._registry
        if model._meta.app_label == "conditions"
    }


# An editor's walk checks that what differs for them (what they may see) changes nothing.
EDITORS_VALUES = ["U+0000", "U+000B", "non-character U+FFFF", "invalid UTF-8", "SQL"]


@pytest.mark.parametrize(
    "person, values",
    [("reviewer_client", list(HOSTILE_VALUES)), ("editor_client", EDITORS_VALUES)],
    ids=["reviewer", "editor"],
)
def test_hostile_admin_addresses_answer_4xx_and_change_nothing(request, content, person, values):
    walk = Walk(request.getfixturevalue(person))
    article = Article.objects.get(slug="whiplash")
    before = database_rows()

    for label in values:
        hostile = f"neck{HOSTILE_VALUES[label]}pain"
        in_path, in_query = label in REFUSED_IN_PATH, label in REFUSED_IN_QUERY
        for model, parameters in admin_lists().items():
            for parameter in [*parameters, "utm_source"]:
                walk.get(f"/admin/conditions/{model}/?{parameter}={hostile}", refused=in_query)
            for action in ["change", "history", "delete"]:
                walk.get(f"/admin/conditions/{model}/{hostile}/{action}/", refused=in_path)
        history = f"/admin/conditions/conditionarticle/{article.pk}/history/"
        walk.get(f"{history}{hostile}/", refused=in_path)
        walk.get(f"{history}compare/?from={hostile}&to=1", refused=in_query)
        for parameter in AUTOCOMPLETE:
            query = query_string(AUTOCOMPLETE, parameter, hostile)
            walk.get(f"/admin/autocomplete/?{query}", refused=in_query)

    assert walk.problems == []
    assert database_rows() == before


# The admin's forms: a NUL in a field is that field's error, and the editor's text stays on
# the form. Django's own form fields already hold; this keeps it so as fields are added.

FORM_PAGES = [
    "/admin/conditions/conditionarticle/{condition}/change/",
    "/admin/conditions/conditionarticle/add/",
    "/admin/conditions/faqarticle/{faq}/change/",
    "/admin/conditions/symptom/{symptom}/change/",
]
# What an editor types into a new article or symptom before saving it.
NEW_TEXT = {
    "title": "Stiff neck in the morning",
    "name": "Stiff shoulders",
    "slug": "stiff-neck-in-the-morning",
    "summary": "Why a neck can be stiff after sleep, and what helps.",
    "body": "## Causes\n\nAn awkward pillow.",
}


@pytest.fixture
def form_urls(content) -> list[str]:
    condition = Article.objects.get(slug="whiplash")
    Source.objects.create(article=condition, title="NHS: neck pain", url="https://www.nhs.uk/")
    # Live articles are edited in their working copies: those are the forms people post.
    pks = {
        "condition": working_copies.start(condition, None).pk,
        "faq": working_copies.start(Article.objects.get(slug="neck-spasms"), None).pk,
        "symptom": Symptom.objects.get(slug="headache").pk,
    }
    return [page.format(**pks) for page in FORM_PAGES]


def filled_in(client, url: str) -> dict:
    """The form at `url` as an editor would post it: the page's values, new text if empty."""
    typed = admin_change_form(client, url)
    for name, text in NEW_TEXT.items():
        if name in typed and not typed[name]:
            typed[name] = text
    return typed


def fields_a_browser_sends(typed: dict) -> list[str]:
    """The form's fields, without the rows an inline formset holds for adding more (Django
    ignores them until they are filled in) and the symptoms box (see the test below)."""
    spare_rows = set()
    for name, value in typed.items():
        if name.endswith("-INITIAL_FORMS"):
            prefix = name.removesuffix("-INITIAL_FORMS")
            total = int(typed[f"{prefix}-TOTAL_FORMS"])
            spare_rows |= {f"{prefix}-{row}-" for row in range(int(value), total)}
            spare_rows.add(f"{prefix}-__prefix__-")
    return [
        name
        for name in typed
        if name not in ("csrfmiddlewaretoken", "symptoms")
        and not name.startswith(tuple(spare_rows))
    ]


def fields_with_errors(response) -> set[str]:
    """Where the form shows errors: field names as posted (an inline's with its prefix),
    an inline formset's prefix for its own errors, "__all__" for the form's."""
    form = response.context["adminform"].form
    names = {form.add_prefix(name) for name in form.errors}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        names |= {row.add_prefix(name) for row in formset.forms for name in row.errors}
        if formset.non_form_errors():
            names.add(formset.prefix)
    return names


def error_place(field: str) -> str:
    """Where a field's error is shown: published_at_0 is part of published_at; a formset's
    TOTAL_FORMS belongs to the formset."""
    if field.endswith(("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS")):
        return field.rsplit("-", 1)[0]
    return re.sub(r"_\d$", "", field)


def with_nul(value: str) -> str:
    return f"{value}\x00 and more"


def test_a_nul_in_any_admin_form_field_is_that_fields_error_and_keeps_the_text(
    reviewer_client, form_urls
):
    before = database_rows()
    problems = []

    for url in form_urls:
        typed = filled_in(reviewer_client, url)
        for field in fields_a_browser_sends(typed):
            posted = {**typed, field: with_nul(typed[field]), "_save": "Save"}
            response = reviewer_client.post(url, posted)
            if response.status_code != 200:
                problems.append(f"{url} {field}: {response.status_code}, not a form error")
                continue
            errors = fields_with_errors(response)
            if error_place(field) not in errors or errors - {error_place(field), "__all__"}:
                problems.append(f"{url} {field}: errors on {sorted(errors)}")
            shown = form_data(
                response.content.decode(), f"{response.context['opts'].model_name}_form"
            )
            if any(
                shown[name] != typed[name] for name in NEW_TEXT if name in typed and name != field
            ):
                problems.append(f"{url} {field}: the other fields' text was not kept")

    assert problems == []
    assert database_rows() == before


def test_a_symptom_that_is_not_an_id_is_a_form_error(reviewer_client, form_urls):
    typed = filled_in(reviewer_client, form_urls[0])

    response = reviewer_client.post(
        form_urls[0], {**typed, "symptoms": ["neck\x00pain"], "_save": "Save"}
    )

    assert response.status_code == 200
    assert "symptoms" in fields_with_errors(response)


@pytest.mark.parametrize("selected", ["abc", "\x00", "1 OR 1=1", "-1"])
@pytest.mark.parametrize("changelist", ["conditionarticle", "faqarticle", "symptom", "auditevent"])
def test_a_list_action_on_something_that_is_not_an_id_changes_nothing(
    reviewer_client, selected, changelist
):
    before = database_rows()

    response = reviewer_client.post(
        f"/admin/conditions/{changelist}/",
        {"action": "delete_selected", "_selected_action": [selected], "post": "yes"},
    )

    assert response.status_code < 500
    assert database_rows() == before


# Signing in


def test_hostile_sign_ins_are_refused_and_recorded_nowhere(reviewer):
    before = database_rows()
    # A NUL in either field: the form's error, as for any wrong password.
    for credentials in [
        {"username": "rita\x00", "password": "correct horse battery"},
        {"username": "rita", "password": "correct\x00horse battery"},
    ]:
        response = Client().post("/admin/login/?next=/admin/", credentials)
        assert response.status_code == 200
        assert response.context["form"].errors

    # A username longer than any account's: django-axes would record it, and PostgreSQL
    # refuses one longer than axes' column.
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(
            "/admin/login/?next=/admin/", {"username": "x" * 10_000, "password": "wrong"}
        )
    assert response.status_code == 400
    assert FRIENDLY_400_TITLE in response.content.decode()
    assert len(queries) == 0
    assert database_rows() == before
