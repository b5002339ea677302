"""Looking after the symptom vocabulary in the admin: renaming, merging and deleting symptoms,
without breaking readers' links."""

import pytest
from django.contrib.auth.models import Group, User
from reversion.models import Version

from conditions.models import AuditEvent, ConditionArticle, Symptom, SymptomRedirect, TaggedArticle
from tests.browser_forms import admin_change_form
from tests.factories import DRAFT, make_condition, make_faq, make_symptom

pytestmark = pytest.mark.django_db

SYMPTOM_LIST = "/admin/conditions/symptom/"


def rename(client, symptom: Symptom, name: str, slug: str):
    """Post the symptom's change form with a new name and slug, as an editor would."""
    url = f"{SYMPTOM_LIST}{symptom.pk}/change/"
    form = admin_change_form(client, url)
    form.update(name=name, slug=slug)
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()
    symptom.refresh_from_db()
    return response


def merge(client, symptoms, follow=False, **fields):
    """Choose "Merge selected symptoms into one…" for `symptoms` on the symptom list."""
    return client.post(
        SYMPTOM_LIST,
        {"action": "merge_selected", "_selected_action": [s.pk for s in symptoms], **fields},
        follow=follow,
    )


@pytest.fixture
def achy_neck(db) -> Symptom:
    return make_symptom("Achy neck", synonyms="neck soreness, Sore neck")


@pytest.fixture
def tagged_articles(achy_neck) -> dict:
    """Articles carrying "Achy neck", "Neck pain" or both, published or not."""
    return {
        "both": make_condition("Whiplash", ["Neck pain", "Achy neck"]),
        "achy faq": make_faq("Neck questions", [("Why?", "Because.")], ["Achy neck"]),
        "achy draft": make_condition("Draft about necks", ["Achy neck"], status=DRAFT),
        "unrelated": make_condition("Migraine", ["Headache"]),
    }


@pytest.fixture
def editor_without_delete(db, client) -> User:
    """Ed, in the Editor group: may add and change symptoms, but not delete or merge them."""
    editor = User.objects.create_user(
        "ed", "ed@example.org", "correct horse battery", is_staff=True
    )
    editor.groups.add(Group.objects.get(name="Editor"))
    client.force_login(editor)
    return editor


# Renaming


def test_renamed_symptom_old_address_redirects_for_good_keeping_the_query(superuser_client, reader):
    crick = make_symptom("Crick in the neck")

    rename(superuser_client, crick, "Wry neck", "wry-neck")

    response = reader.get("/symptoms/crick-in-the-neck/?with=headache&page=1")
    assert response.status_code == 301
    assert response["Location"] == "/symptoms/wry-neck/?with=headache&page=1"
    assert reader.get("/symptoms/crick-in-the-neck/")["Location"] == "/symptoms/wry-neck/"


def test_a_renamed_symptom_is_still_found_by_its_old_name(superuser_client, reader):
    crick = make_symptom("Crick in the neck", synonyms="stiff neck")
    make_condition("Torticollis explained", ["Crick in the neck"])

    response = rename(superuser_client, crick, "Wry neck", "wry-neck")

    assert crick.synonym_list == ["stiff neck", "Crick in the neck"]
    suggestions = reader.get("/search/suggest/", {"q": "crick in"}).json()["symptoms"]
    assert [s["name"] for s in suggestions] == ["Wry neck"]
    page = reader.get("/search/", {"q": "crick in the neck"}).content.decode()
    assert "Torticollis explained" in page
    shown = superuser_client.get(response["Location"]).content.decode()
    assert "“Crick in the neck” is kept as a synonym" in shown


def test_renaming_back_does_not_keep_a_name_as_its_own_synonym(superuser_client):
    crick = make_symptom("Crick in the neck")
    rename(superuser_client, crick, "Wry neck", "wry-neck")

    rename(superuser_client, crick, "Crick in the neck", "crick-in-the-neck")

    assert crick.synonym_list == ["Wry neck"]


def test_changing_only_the_case_of_a_name_adds_no_synonym(superuser_client):
    crick = make_symptom("Crick in the neck")

    rename(superuser_client, crick, "Crick In The Neck", "crick-in-the-neck")

    assert crick.synonyms == ""


def test_after_two_renames_both_old_addresses_lead_to_the_current_one(superuser_client, reader):
    crick = make_symptom("Crick in the neck")

    rename(superuser_client, crick, "Wry neck", "wry-neck")
    rename(superuser_client, crick, "Torticollis", "torticollis")

    for old in ["crick-in-the-neck", "wry-neck"]:
        response = reader.get(f"/symptoms/{old}/")
        assert (response.status_code, response["Location"]) == (301, "/symptoms/torticollis/")
    assert reader.get("/symptoms/torticollis/").status_code == 200


def test_renaming_back_leaves_no_redirect_on_the_current_address(superuser_client, reader):
    crick = make_symptom("Crick in the neck")

    rename(superuser_client, crick, "Wry neck", "wry-neck")
    rename(superuser_client, crick, "Crick in the neck", "crick-in-the-neck")

    assert list(crick.redirects.values_list("old_slug", flat=True)) == ["wry-neck"]
    assert reader.get("/symptoms/crick-in-the-neck/").status_code == 200
    assert reader.get("/symptoms/wry-neck/")["Location"] == "/symptoms/crick-in-the-neck/"


def test_renaming_is_recorded_in_the_audit_log(superuser_client, superuser):
    crick = make_symptom("Crick in the neck")

    rename(superuser_client, crick, "Wry neck", "wry-neck")

    event = AuditEvent.objects.get(action=AuditEvent.Action.SYMPTOM_RENAMED)
    assert event.user == superuser
    assert event.subject == "Crick in the neck → Wry neck"
    assert "/symptoms/crick-in-the-neck/ → /symptoms/wry-neck/" in event.detail


def test_saving_a_symptom_unchanged_records_nothing(superuser_client):
    crick = make_symptom("Crick in the neck")

    rename(superuser_client, crick, "Crick in the neck", "crick-in-the-neck")

    assert not SymptomRedirect.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_old_slug_in_with_redirects_to_the_current_address(superuser_client, reader):
    crick = make_symptom("Crick in the neck")
    make_condition("Whiplash", ["Neck pain", "Crick in the neck"])
    make_condition("Posture", ["Neck pain"])
    rename(superuser_client, crick, "Wry neck", "wry-neck")

    response = reader.get("/symptoms/neck-pain/?with=crick-in-the-neck")

    assert response.status_code == 301
    assert response["Location"] == "/symptoms/neck-pain/?with=wry-neck"
    page = reader.get(response["Location"])
    assert [a.title for a in page.context["page"].object_list] == ["Whiplash"]


def test_a_new_symptom_taking_an_old_address_replaces_the_redirect(superuser_client, reader):
    crick = make_symptom("Crick in the neck")
    rename(superuser_client, crick, "Wry neck", "wry-neck")

    data = admin_change_form(superuser_client, f"{SYMPTOM_LIST}add/")
    data.update(name="Crick", slug="crick-in-the-neck", red_flag_level="emergency")
    response = superuser_client.post(f"{SYMPTOM_LIST}add/", data, follow=True)

    assert "used to redirect to “Wry neck”" in response.content.decode()
    assert not SymptomRedirect.objects.filter(old_slug="crick-in-the-neck").exists()
    page = reader.get("/symptoms/crick-in-the-neck/")
    assert page.status_code == 200
    assert page.context["symptom"].name == "Crick"


def test_an_unknown_symptom_is_still_not_found(reader):
    make_condition("Whiplash", ["Neck pain"])

    assert reader.get("/symptoms/no-such-symptom/").status_code == 404
    assert reader.get("/symptoms/no-such-symptom/?with=neck-pain").status_code == 404


def test_change_form_explains_synonyms_and_lists_old_addresses(superuser_client):
    crick = make_symptom("Crick in the neck")
    rename(superuser_client, crick, "Wry neck", "wry-neck")

    html = superuser_client.get(f"{SYMPTOM_LIST}{crick.pk}/change/").content.decode()

    assert "separated by commas" in html
    assert "/symptoms/crick-in-the-neck/" in html
    assert "the old address keeps working" in html


# Merging


def test_merge_asks_which_symptom_to_keep_then_retags_every_article(
    superuser_client, achy_neck, tagged_articles
):
    neck_pain = make_symptom("Neck pain")

    confirmation = merge(superuser_client, [neck_pain, achy_neck])

    assert confirmation.status_code == 200
    html = confirmation.content.decode()
    assert "Which symptom to keep?" in html
    assert "Neck pain" in html and "Achy neck" in html
    assert "3 articles" in html  # Achy neck's, drafts included
    assert Symptom.objects.filter(pk=achy_neck.pk).exists()  # nothing happens until confirmed

    response = merge(
        superuser_client, [neck_pain, achy_neck], keep=neck_pain.pk, confirm="yes", follow=True
    )

    assert "Merged “Achy neck” into “Neck pain”: 3 articles re-tagged." in response.content.decode()
    assert not Symptom.objects.filter(pk=achy_neck.pk).exists()
    for key in ["both", "achy faq", "achy draft"]:
        assert [s.name for s in tagged_articles[key].symptoms.all()] == ["Neck pain"], key
    assert TaggedArticle.objects.filter(content_object=tagged_articles["both"]).count() == 1
    assert [s.name for s in tagged_articles["unrelated"].symptoms.all()] == ["Headache"]


def test_merged_symptom_pages_redirect_to_the_kept_one(
    superuser_client, reader, achy_neck, tagged_articles
):
    neck_pain = make_symptom("Neck pain")
    rename(superuser_client, achy_neck, "Achy neck", "achy-neck-2")  # an older address of its own

    merge(superuser_client, [neck_pain, achy_neck], keep=neck_pain.pk, confirm="yes")

    for old in ["achy-neck", "achy-neck-2"]:
        response = reader.get(f"/symptoms/{old}/?with=headache")
        assert response.status_code == 301, old
        assert response["Location"] == "/symptoms/neck-pain/?with=headache"
    response = reader.get("/symptoms/headache/?with=achy-neck")
    assert response["Location"] == "/symptoms/headache/?with=neck-pain"


def test_merge_adds_the_merged_names_and_synonyms_once(superuser_client, achy_neck):
    neck_pain = make_symptom("Neck pain")
    before = neck_pain.synonym_list
    assert "sore neck" in before  # so "Sore neck" from Achy neck must not be added again

    merge(superuser_client, [neck_pain, achy_neck], keep=neck_pain.pk, confirm="yes")

    neck_pain.refresh_from_db()
    synonyms = neck_pain.synonym_list
    assert synonyms[: len(before)] == before
    assert synonyms[len(before) :] == ["Achy neck", "neck soreness"]
    assert len({word.casefold() for word in synonyms}) == len(synonyms)


def test_merge_is_recorded_in_the_audit_log_with_the_user(superuser_client, superuser, achy_neck):
    neck_pain = make_symptom("Neck pain")
    crick = make_symptom("Crick in the neck")

    merge(superuser_client, [neck_pain, achy_neck, crick], keep=neck_pain.pk, confirm="yes")

    event = AuditEvent.objects.get(action=AuditEvent.Action.SYMPTOMS_MERGED)
    assert event.user == superuser
    assert event.subject == "Achy neck and Crick in the neck into Neck pain"
    assert "/symptoms/achy-neck/" in event.detail


def test_merge_adds_a_revision_to_each_affected_article(
    superuser_client, superuser, achy_neck, tagged_articles
):
    neck_pain = make_symptom("Neck pain")
    whiplash, migraine = tagged_articles["both"], tagged_articles["unrelated"]
    before = Version.objects.get_for_object(whiplash).count()

    merge(superuser_client, [neck_pain, achy_neck], keep=neck_pain.pk, confirm="yes")

    versions = Version.objects.get_for_object(whiplash)
    assert versions.count() == before + 1
    revision = versions.first().revision
    assert revision.comment == "Symptom Achy neck merged into Neck pain"
    assert revision.user == superuser
    # Its own revision, so restoring it can't change another article.
    assert {v.object_repr for v in revision.version_set.all()} >= {"Whiplash"}
    assert "Neck questions" not in {v.object_repr for v in revision.version_set.all()}
    assert Version.objects.get_for_object(tagged_articles["achy faq"]).count() == 1
    assert not Version.objects.get_for_object(migraine).exists()


def test_editor_without_delete_permission_cannot_merge(
    client, editor_without_delete, achy_neck, tagged_articles
):
    neck_pain = make_symptom("Neck pain")

    assert "merge_selected" not in client.get(SYMPTOM_LIST).content.decode()
    asked = merge(client, [neck_pain, achy_neck])
    merge(client, [neck_pain, achy_neck], keep=neck_pain.pk, confirm="yes")

    assert "Which symptom to keep?" not in asked.content.decode()
    assert Symptom.objects.filter(pk=achy_neck.pk).exists()
    assert [s.name for s in tagged_articles["achy faq"].symptoms.all()] == ["Achy neck"]
    assert not AuditEvent.objects.exists()


def test_merging_a_single_symptom_changes_nothing_and_says_why(superuser_client, achy_neck):
    response = merge(superuser_client, [achy_neck], keep=achy_neck.pk, confirm="yes", follow=True)

    assert "Select at least two symptoms to merge. Nothing was changed." in (
        response.content.decode()
    )
    assert Symptom.objects.filter(pk=achy_neck.pk, synonyms="neck soreness, Sore neck").exists()
    assert not AuditEvent.objects.exists()


def test_confirming_a_merge_without_choosing_asks_again(superuser_client, achy_neck):
    neck_pain = make_symptom("Neck pain")

    response = merge(superuser_client, [neck_pain, achy_neck], confirm="yes")

    assert response.status_code == 200
    assert "Choose which symptom to keep." in response.content.decode()
    assert Symptom.objects.filter(pk=achy_neck.pk).exists()


def test_public_pages_count_articles_correctly_after_a_merge(
    superuser_client, reader, achy_neck, tagged_articles
):
    neck_pain = make_symptom("Neck pain")

    merge(superuser_client, [neck_pain, achy_neck], keep=neck_pain.pk, confirm="yes")

    listed = {
        symptom.name: symptom.articles
        for _, symptoms in reader.get("/symptoms/").context["letters"]
        for symptom in symptoms
    }
    assert listed == {"Neck pain": "2 articles", "Headache": "1 article"}  # not the draft
    page = reader.get("/symptoms/neck-pain/")
    assert page.context["page"].paginator.count == 2
    assert "2 articles" in page.content.decode()


# Deleting


def test_deleting_a_symptom_in_use_lists_the_articles_that_lose_it(
    superuser_client, achy_neck, tagged_articles
):
    html = superuser_client.get(f"{SYMPTOM_LIST}{achy_neck.pk}/delete/").content.decode()

    assert "3 articles will lose the symptom “Achy neck”" in html
    whiplash, draft = tagged_articles["both"], tagged_articles["achy draft"]
    assert f'href="/admin/conditions/conditionarticle/{whiplash.pk}/change/">Whiplash<' in html
    assert f'href="/admin/conditions/conditionarticle/{draft.pk}/change/"' in html
    faq = tagged_articles["achy faq"]
    assert f'href="/admin/conditions/faqarticle/{faq.pk}/change/">Neck questions<' in html
    assert "(draft)" in html
    # In words, not Django's list of database rows ("Article symptom: article 3 has symptom 1").
    assert "Yes, delete this symptom" in html and "Article symptom" not in html

    superuser_client.post(f"{SYMPTOM_LIST}{achy_neck.pk}/delete/", {"post": "yes"})

    assert not Symptom.objects.filter(pk=achy_neck.pk).exists()
    assert [s.name for s in whiplash.symptoms.all()] == ["Neck pain"]


def test_deleting_an_unused_symptom_gets_the_plain_confirmation(superuser_client):
    crick = make_symptom("Crick in the neck")

    html = superuser_client.get(f"{SYMPTOM_LIST}{crick.pk}/delete/").content.decode()

    assert "Delete the symptom “Crick in the neck”?" in html
    assert "will lose the symptom" not in html


def test_bulk_delete_confirmation_lists_the_articles_of_each_symptom(
    superuser_client, achy_neck, tagged_articles
):
    crick = make_symptom("Crick in the neck")
    headache = make_symptom("Headache")

    response = superuser_client.post(
        SYMPTOM_LIST,
        {"action": "delete_selected", "_selected_action": [achy_neck.pk, crick.pk, headache.pk]},
    )

    html = response.content.decode()
    assert "3 articles will lose the symptom “Achy neck”" in html
    assert "1 article will lose the symptom “Headache”" in html
    assert ">Migraine</a>" in html
    assert "Crick in the neck" in html and "will lose the symptom “Crick" not in html
    assert Symptom.objects.filter(pk=achy_neck.pk).exists()

    superuser_client.post(
        SYMPTOM_LIST,
        {
            "action": "delete_selected",
            "_selected_action": [achy_neck.pk, crick.pk, headache.pk],
            "post": "yes",
        },
    )

    assert not Symptom.objects.filter(pk__in=[achy_neck.pk, crick.pk, headache.pk]).exists()


def test_editor_without_delete_permission_cannot_delete(client, editor_without_delete, achy_neck):
    response = client.get(f"{SYMPTOM_LIST}{achy_neck.pk}/delete/")

    assert response.status_code == 403


# Who may change what readers are told about a symptom, and no lost updates.


def test_an_editor_may_only_propose_changes_to_a_symptom_on_published_articles(
    editor_client, reader
):
    neck_pain = make_symptom("Neck crick", description="Pain in the neck.")
    make_condition("Whiplash", ["Neck crick"])
    url = f"{SYMPTOM_LIST}{neck_pain.pk}/change/"
    form = admin_change_form(editor_client, url)
    assert "name" not in form and "description" in form  # its name is a reviewer's to change

    response = editor_client.post(url, {**form, "name": "Neck ache", "description": "Rewritten."})

    assert response.status_code == 302
    neck_pain.refresh_from_db()
    assert (neck_pain.name, neck_pain.description) == ("Neck crick", "Pain in the neck.")
    assert neck_pain.proposed_description == "Rewritten."
    assert "Rewritten." not in reader.get("/symptoms/neck-crick/").content.decode()


def test_an_editors_red_flag_advice_and_description_for_a_new_symptom_are_a_proposal(
    editor_client,
):
    url = f"{SYMPTOM_LIST}add/"
    form = admin_change_form(editor_client, url)

    form.update(name="Jaw ache", slug="jaw-ache", red_flag_advice="No need to call 999.",
                description="Nothing to worry about.")  # fmt: skip
    assert editor_client.post(url, form).status_code == 302

    jaw = Symptom.objects.get(slug="jaw-ache")
    assert (jaw.red_flag_advice, jaw.description) == ("", "")
    assert (jaw.proposed_red_flag_advice, jaw.proposed_description) == (
        "No need to call 999.",
        "Nothing to worry about.",
    )


def test_a_reviewers_red_flag_change_is_a_proposal_and_audited(superuser_client):
    stiff = make_symptom("Neck stiffness")
    live_advice = stiff.red_flag_advice
    url = f"{SYMPTOM_LIST}{stiff.pk}/change/"
    form = admin_change_form(superuser_client, url)
    form.update(red_flag_advice="A stiff neck with a high temperature.", red_flag_level="urgent")

    assert superuser_client.post(url, form).status_code == 302

    event = AuditEvent.objects.get(action=AuditEvent.Action.RED_FLAGS_PROPOSED)
    assert event.subject == "Neck stiffness" and "A stiff neck with a high" in event.detail
    stiff.refresh_from_db()
    assert stiff.red_flag_advice == live_advice and stiff.has_proposal


def test_a_symptom_form_opened_before_someone_elses_save_is_refused(
    superuser_client, reviewer_client
):
    stiff = make_symptom("Neck stiffness", description="Old.")
    url = f"{SYMPTOM_LIST}{stiff.pk}/change/"
    evas_form = admin_change_form(superuser_client, url)
    ritas_form = admin_change_form(reviewer_client, url)
    ritas_form["description"] = "Rita's description."
    assert reviewer_client.post(url, ritas_form).status_code == 302

    evas_form["description"] = "Eve's description."
    response = superuser_client.post(url, evas_form)

    assert response.status_code == 200
    page = response.content.decode().replace("&#x27;", "'")
    assert "This symptom was changed by Rita Okafor" in page and "Eve's description." in page
    stiff.refresh_from_db()
    assert stiff.proposed_description == "Rita's description."


def test_an_article_form_opened_before_a_merge_is_refused_not_saved_over_it(
    superuser_client, reviewer_client, achy_neck, tagged_articles
):
    # The live article is edited in its working copy, which carries its symptoms.
    live = tagged_articles["both"]
    reviewer_client.post(f"/admin/conditions/conditionarticle/{live.pk}/working-copy/start/")
    article = ConditionArticle.objects.get(live_article=live)
    url = f"/admin/conditions/conditionarticle/{article.pk}/change/"
    ritas_form = admin_change_form(reviewer_client, url)  # with "Achy neck" among its symptoms
    keep = Symptom.objects.get(name="Neck pain")
    merge(superuser_client, [keep, achy_neck], keep=keep.pk, confirm="yes")

    ritas_form["body"] = "Rita's edit."
    response = reviewer_client.post(url, ritas_form)

    assert response.status_code == 200
    assert "after you opened it" in response.content.decode()
    assert [s.name for s in article.symptoms.all()] == ["Neck pain"]


def test_deleting_a_symptom_is_audited_with_the_articles_that_lost_it(
    superuser_client, achy_neck, tagged_articles
):
    url = f"{SYMPTOM_LIST}{achy_neck.pk}/delete/"
    assert superuser_client.post(url, {"post": "yes"}).status_code == 302

    event = AuditEvent.objects.get(action=AuditEvent.Action.SYMPTOM_DELETED)
    assert event.subject == "Achy neck"
    assert "Whiplash" in event.detail and "Neck questions" in event.detail
