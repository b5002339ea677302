"""A symptom's safety text (red-flag advice, its level, its description) is content: a change
is a proposal that readers never see until a different medical reviewer approves it, then
every article with the symptom shows it on the very next request."""

import pytest
from django.test import override_settings
from reversion.models import Version

from conditions.caching import WORKER_PAGES
from conditions.models import AuditEvent, Symptom
from tests.browser_forms import admin_change_form, form_data
from tests.factories import make_condition, make_faq, make_symptom

pytestmark = pytest.mark.django_db

SYMPTOM_LIST = "/admin/conditions/symptom/"
EDITORS_ADVICE = "Dizziness is rarely serious; no need to call 999"
LIVE_ADVICE = "Dizziness comes with a sudden severe headache"


@pytest.fixture
def dizziness_pages(db) -> dict:
    """Published articles carrying the shipped "Dizziness" (emergency advice)."""
    return {
        "condition": make_condition("Vertigo from the neck", ["Dizziness"]),
        "faq": make_faq("Dizziness questions", [("Why?", "Because.")], ["Dizziness"]),
    }


def change_url(symptom: Symptom) -> str:
    return f"{SYMPTOM_LIST}{symptom.pk}/change/"


def propose_lower_level(client) -> Symptom:
    """Ed's edit from the issue, through the symptom's own change form."""
    dizziness = Symptom.objects.get(slug="dizziness")
    form = admin_change_form(client, change_url(dizziness))
    form.update(red_flag_advice=EDITORS_ADVICE, red_flag_level="urgent")
    response = client.post(change_url(dizziness), form)
    assert response.status_code == 302, response.content.decode()[:3000]
    dizziness.refresh_from_db()
    return dizziness


def decide(client, symptom: Symptom, decision: str, version: str | None = None):
    symptom.refresh_from_db()
    return client.post(
        f"{SYMPTOM_LIST}{symptom.pk}/proposal/",
        {
            "decision": decision,
            "proposal_version": version
            if version is not None
            else (symptom.proposed_at.isoformat() if symptom.proposed_at else ""),
        },
        follow=True,
    )


def emergency_and_urgent_callouts(page: str) -> tuple[str, str]:
    urgent = page[page.index("Urgent advice:") :] if "Urgent advice:" in page else ""
    emergency = (
        page[page.index("Immediate action required:") :]
        if "Immediate action required:" in page
        else ""
    )
    return emergency, urgent


def test_an_editors_red_flag_change_reaches_no_public_page_until_another_reviewer_approves(
    editor_client, reviewer_client, reader, dizziness_pages
):
    urls = [article.get_absolute_url() for article in dizziness_pages.values()]
    urls += ["/symptoms/dizziness/"]
    before = {url: reader.get(url).content for url in urls}
    assert all(reader.get(url)["X-Cache"] == "hit" for url in urls)  # the page cache is on

    dizziness = propose_lower_level(editor_client)

    assert dizziness.red_flag_advice.startswith(LIVE_ADVICE)
    assert dizziness.red_flag_level == "emergency"
    assert (dizziness.proposed_red_flag_advice, dizziness.proposed_red_flag_level) == (
        EDITORS_ADVICE,
        "urgent",
    )
    for url in urls:
        assert reader.get(url).content == before[url], url

    page = decide(reviewer_client, dizziness, "approve")

    assert "now shows the new advice" in page.content.decode()
    for article in dizziness_pages.values():
        response = reader.get(article.get_absolute_url())
        assert response["X-Cache"] == "miss"  # the very next request, rendered afresh
        emergency, urgent = emergency_and_urgent_callouts(response.content.decode())
        assert EDITORS_ADVICE in urgent
        assert LIVE_ADVICE not in response.content.decode()
    dizziness.refresh_from_db()
    assert (dizziness.red_flag_level, dizziness.has_proposal) == ("urgent", False)


@pytest.mark.django_db(transaction=True)  # changes reach Redis as they commit
def test_an_approval_reaches_every_app_server_through_the_shared_redis_cache(
    shared_redis, editor_client, reviewer_client, reader
):
    # Made here: a committing test may run after another has emptied the database.
    make_symptom("Dizziness", red_flag_advice=f"{LIVE_ADVICE}.", red_flag_level="emergency")
    url = make_faq("Dizziness questions", [("Why?", "Because.")], ["Dizziness"]).get_absolute_url()
    dizziness = propose_lower_level(editor_client)
    reader.get(url)
    cached = reader.get(url)
    assert cached["X-Cache"] == "hit" and EDITORS_ADVICE not in cached.content.decode()

    decide(reviewer_client, dizziness, "approve")
    WORKER_PAGES.clear()  # another app server: only Redis is shared

    fresh = reader.get(url)
    assert fresh["X-Cache"] == "miss" and EDITORS_ADVICE in fresh.content.decode()


def test_the_change_form_shows_live_and_proposed_advice_with_the_words_changed(
    editor_client, reviewer_client, dizziness_pages
):
    dizziness = propose_lower_level(editor_client)

    page = reviewer_client.get(change_url(dizziness)).content.decode()

    assert "Proposed change, waiting for approval" in page and "Proposed by Ed Writer" in page
    assert "Dizziness <del>comes with a sudden severe headache," in page
    assert "<ins>is rarely serious; no need to call 999</ins>" in page
    assert "<del>Emergency: call 999 or go to A&amp;E</del> <ins>Urgent:" in page
    assert 'name="decision" value="approve"' in page
    # The form opens on the proposal, so saving another change keeps building on it.
    form = admin_change_form(reviewer_client, change_url(dizziness))
    assert (form["red_flag_advice"], form["red_flag_level"]) == (EDITORS_ADVICE, "urgent")


def test_the_symptom_list_filters_symptoms_with_a_pending_proposal(
    editor_client, reviewer_client, dizziness_pages
):
    propose_lower_level(editor_client)

    page = reviewer_client.get(SYMPTOM_LIST, {"proposal": "pending"}).content.decode()

    assert ">Dizziness</a>" in page
    assert ">Headache</a>" not in page and ">Numbness</a>" not in page


def test_the_admin_home_counts_proposals_waiting_for_a_reviewer(
    editor_client, reviewer_client, dizziness_pages
):
    home = reviewer_client.get("/admin/").content.decode()
    assert "<strong>0</strong> proposed changes to symptoms' safety text" in home

    propose_lower_level(editor_client)

    home = reviewer_client.get("/admin/").content.decode()
    assert "<strong>1</strong> proposed change to symptoms' safety text" in home
    assert f'href="{SYMPTOM_LIST}?proposal=pending"' in home


def test_an_editor_cannot_approve_a_proposal(editor_client, reader, dizziness_pages):
    dizziness = propose_lower_level(editor_client)

    page = decide(editor_client, dizziness, "approve")

    assert "Only medical reviewers" in page.content.decode()
    dizziness.refresh_from_db()
    assert dizziness.red_flag_level == "emergency" and dizziness.has_proposal
    assert EDITORS_ADVICE not in reader.get("/conditions/vertigo-from-the-neck/").content.decode()


def test_a_reviewers_own_change_needs_another_reviewer(
    reviewer_client, second_reviewer_client, reader, dizziness_pages
):
    dizziness = propose_lower_level(reviewer_client)
    article_url = dizziness_pages["condition"].get_absolute_url()

    page = reviewer_client.get(change_url(dizziness)).content.decode()
    assert 'value="approve"' not in page and "another medical reviewer must approve" in page
    refused = decide(reviewer_client, dizziness, "approve")

    assert "another medical reviewer must approve" in refused.content.decode()
    dizziness.refresh_from_db()
    assert dizziness.red_flag_level == "emergency"
    assert EDITORS_ADVICE not in reader.get(article_url).content.decode()

    decide(second_reviewer_client, dizziness, "approve")

    assert EDITORS_ADVICE in reader.get(article_url).content.decode()
    approval = AuditEvent.objects.get(action=AuditEvent.Action.RED_FLAGS_APPROVED)
    assert approval.user.username == "raj" and "Proposed by Rita Okafor" in approval.detail


@override_settings(ALLOW_SELF_REVIEW=True)
def test_on_a_one_person_site_a_reviewers_change_goes_live_at_once(
    reviewer_client, reader, dizziness_pages
):
    dizziness = propose_lower_level(reviewer_client)

    assert (dizziness.red_flag_level, dizziness.has_proposal) == ("urgent", False)
    page = reader.get(dizziness_pages["condition"].get_absolute_url()).content.decode()
    assert EDITORS_ADVICE in page
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RED_FLAGS_APPROVED).exists()


@override_settings(ALLOW_SELF_REVIEW=True)
def test_even_on_a_one_person_site_an_editors_change_is_a_proposal(editor_client, dizziness_pages):
    dizziness = propose_lower_level(editor_client)

    assert dizziness.red_flag_level == "emergency" and dizziness.has_proposal


def test_a_rejected_proposal_never_reaches_readers(
    editor_client, reviewer_client, reader, dizziness_pages
):
    article_url = dizziness_pages["condition"].get_absolute_url()
    before = reader.get(article_url).content
    dizziness = propose_lower_level(editor_client)

    page = decide(reviewer_client, dizziness, "reject")

    assert "Rejected" in page.content.decode()
    dizziness.refresh_from_db()
    assert (dizziness.has_proposal, dizziness.proposed_red_flag_advice) == (False, "")
    assert dizziness.red_flag_level == "emergency"
    assert reader.get(article_url).content == before
    rejection = AuditEvent.objects.get(action=AuditEvent.Action.RED_FLAGS_REJECTED)
    assert rejection.user.username == "rita" and EDITORS_ADVICE in rejection.detail
    # Nothing is left to approve.
    assert "no proposed change" in decide(reviewer_client, dizziness, "approve").content.decode()


def test_an_approval_applies_only_the_proposal_the_reviewer_read(
    editor_client, reviewer_client, reader, dizziness_pages
):
    dizziness = propose_lower_level(editor_client)
    seen = dizziness.proposed_at.isoformat()
    form = admin_change_form(editor_client, change_url(dizziness))
    form.update(red_flag_advice="Never call 999 for dizziness.")
    assert editor_client.post(change_url(dizziness), form).status_code == 302

    page = decide(reviewer_client, dizziness, "approve", version=seen)

    assert "changed after you opened it" in page.content.decode()
    dizziness.refresh_from_db()
    assert dizziness.red_flag_level == "emergency"


def test_every_step_is_a_revision_and_an_audit_event(
    editor_client, reviewer_client, dizziness_pages
):
    dizziness = propose_lower_level(editor_client)
    decide(reviewer_client, dizziness, "approve")

    comments = [
        version.revision.comment
        for version in Version.objects.get_for_object(dizziness).order_by("pk")
    ]
    assert comments == [
        "Proposed a change to its description or red-flag advice",
        "Approved the change proposed by Ed Writer",
    ]
    newest = Version.objects.get_for_object(dizziness).first()
    assert newest.field_dict["red_flag_advice"] == EDITORS_ADVICE
    events = AuditEvent.objects.filter(subject="Dizziness").order_by("pk")
    assert [(e.action, e.user.username) for e in events] == [
        (AuditEvent.Action.RED_FLAGS_PROPOSED, "ed"),
        (AuditEvent.Action.RED_FLAGS_APPROVED, "rita"),
    ]
    assert EDITORS_ADVICE in events[0].detail and "Emergency" in events[0].detail


def test_a_proposed_description_waits_for_approval_too(
    editor_client, reviewer_client, reader, dizziness_pages
):
    dizziness = Symptom.objects.get(slug="dizziness")
    form = admin_change_form(editor_client, change_url(dizziness))
    form["description"] = "Nothing to worry about."
    assert editor_client.post(change_url(dizziness), form).status_code == 302

    assert "Nothing to worry about." not in reader.get("/symptoms/dizziness/").content.decode()

    decide(reviewer_client, dizziness, "approve")

    assert "Nothing to worry about." in reader.get("/symptoms/dizziness/").content.decode()


def test_a_hand_made_post_of_live_fields_by_an_editor_changes_nothing_readers_see(
    editor_client, reader, dizziness_pages
):
    dizziness = Symptom.objects.get(slug="dizziness")
    form = admin_change_form(editor_client, change_url(dizziness))
    response = editor_client.post(
        change_url(dizziness),
        {**form, "red_flag_advice": EDITORS_ADVICE, "red_flag_level": "urgent",
         "red_flag_advice_html": EDITORS_ADVICE, "proposed_at": "", "name": "Giddiness"},
    )  # fmt: skip

    assert response.status_code == 302
    dizziness.refresh_from_db()
    assert (dizziness.name, dizziness.red_flag_level) == ("Dizziness", "emergency")
    assert EDITORS_ADVICE not in dizziness.red_flag_advice_html
    assert EDITORS_ADVICE not in reader.get("/symptoms/dizziness/").content.decode()


# Merging never drops advice unless the reviewer chooses to.

ARM_NUMBNESS_ADVICE = "Numbness or weakness comes on suddenly in one side of your body"
NUMBNESS_ADVICE = "Numbness comes on suddenly in your face, arm or leg"


def merge_screen(client, symptoms) -> str:
    """The merge screen, as "Merge selected symptoms into one…" on the list opens it."""
    response = client.post(
        SYMPTOM_LIST,
        {"action": "merge_selected", "_selected_action": [s.pk for s in symptoms]},
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def numbness_pages(db) -> dict:
    return {
        "arm": make_condition("Cervical radiculopathy", ["Arm numbness"]),
        "numb": make_condition("Pins and needles", ["Numbness"]),
    }


def test_merging_arm_numbness_into_numbness_keeps_its_999_advice(
    reviewer_client, reader, numbness_pages
):
    arm, numbness = Symptom.objects.get(slug="arm-numbness"), Symptom.objects.get(slug="numbness")
    page = merge_screen(reviewer_client, [arm, numbness])
    assert ARM_NUMBNESS_ADVICE in page and NUMBNESS_ADVICE in page
    form = form_data(page, "merge-form")
    assert sorted(form["keep_red_flags"]) == sorted([str(arm.pk), str(numbness.pk)])
    form["keep"] = str(numbness.pk)

    assert reviewer_client.post(SYMPTOM_LIST, form).status_code == 302

    numbness.refresh_from_db()
    assert ARM_NUMBNESS_ADVICE in numbness.red_flag_advice
    assert NUMBNESS_ADVICE in numbness.red_flag_advice
    assert numbness.red_flag_level == "emergency"
    for article in numbness_pages.values():
        emergency, _ = emergency_and_urgent_callouts(
            reader.get(article.get_absolute_url()).content.decode()
        )
        assert ARM_NUMBNESS_ADVICE in emergency and NUMBNESS_ADVICE in emergency
    event = AuditEvent.objects.get(action=AuditEvent.Action.SYMPTOMS_MERGED)
    assert "Red-flag advice kept: Numbness's (emergency) and Arm numbness's (emergency)" in (
        event.detail
    )
    assert "Dropped" not in event.detail
    newest = Version.objects.get_for_object(numbness).first()
    assert ARM_NUMBNESS_ADVICE in newest.field_dict["red_flag_advice"]


def test_the_reviewers_choice_of_advice_is_honoured_and_recorded(
    reviewer_client, reader, numbness_pages
):
    arm, numbness = Symptom.objects.get(slug="arm-numbness"), Symptom.objects.get(slug="numbness")
    form = form_data(merge_screen(reviewer_client, [arm, numbness]), "merge-form")
    form.update(keep=str(numbness.pk), keep_red_flags=[str(arm.pk)])

    assert reviewer_client.post(SYMPTOM_LIST, form).status_code == 302

    numbness.refresh_from_db()
    assert numbness.red_flag_advice.startswith(ARM_NUMBNESS_ADVICE)
    assert NUMBNESS_ADVICE not in numbness.red_flag_advice
    page = reader.get(numbness_pages["numb"].get_absolute_url()).content.decode()
    assert ARM_NUMBNESS_ADVICE in page and NUMBNESS_ADVICE not in page
    event = AuditEvent.objects.get(action=AuditEvent.Action.SYMPTOMS_MERGED)
    assert "Red-flag advice kept: Arm numbness's (emergency)" in event.detail
    assert f"Dropped, by the reviewer's choice: Numbness's (emergency: {NUMBNESS_ADVICE}" in (
        event.detail
    )


def test_merged_advice_takes_the_highest_level_kept(reviewer_client):
    neck_ache = make_symptom(
        "Neck ache", red_flag_advice="It lasts more than a few weeks.", red_flag_level="urgent"
    )
    arm = Symptom.objects.get(slug="arm-numbness")
    form = form_data(merge_screen(reviewer_client, [neck_ache, arm]), "merge-form")
    form["keep"] = str(neck_ache.pk)

    assert reviewer_client.post(SYMPTOM_LIST, form).status_code == 302

    neck_ache.refresh_from_db()
    assert neck_ache.red_flag_level == "emergency"
    assert neck_ache.red_flag_advice.startswith("It lasts more than a few weeks.\n\n")
    assert ARM_NUMBNESS_ADVICE in neck_ache.red_flag_advice


def test_a_hand_made_merge_without_a_choice_keeps_all_the_advice(reviewer_client):
    arm, numbness = Symptom.objects.get(slug="arm-numbness"), Symptom.objects.get(slug="numbness")

    reviewer_client.post(
        SYMPTOM_LIST,
        {"action": "merge_selected", "_selected_action": [arm.pk, numbness.pk],
         "keep": str(numbness.pk), "confirm": "yes"},
    )  # fmt: skip

    numbness.refresh_from_db()
    assert ARM_NUMBNESS_ADVICE in numbness.red_flag_advice
    assert NUMBNESS_ADVICE in numbness.red_flag_advice


# History, Compare and Restore.


def test_a_symptoms_history_lists_each_step_and_compares_two(
    editor_client, reviewer_client, dizziness_pages
):
    dizziness = propose_lower_level(editor_client)
    decide(reviewer_client, dizziness, "approve")
    history_url = f"{SYMPTOM_LIST}{dizziness.pk}/history/"

    history = reviewer_client.get(history_url).content.decode()

    # Who did what, in words.
    assert "Rita Okafor approved the change proposed by Ed Writer" in history
    assert "Ed Writer proposed a change to its description or red-flag advice" in history
    older, newer = Version.objects.get_for_object(dizziness).order_by("pk")
    compared = reviewer_client.get(
        f"{history_url}compare/", {"from": older.pk, "to": newer.pk}
    ).content.decode()
    assert "<ins>is rarely serious; no need to call 999</ins>" in compared
    assert "<del>emergency</del><ins>urgent</ins>" in compared


def test_restoring_an_earlier_revision_is_a_proposal_too(
    editor_client, reviewer_client, second_reviewer_client, reader, dizziness_pages
):
    dizziness = propose_lower_level(editor_client)
    decide(reviewer_client, dizziness, "approve")
    before_approval = Version.objects.get_for_object(dizziness).order_by("pk").first()
    url = f"{SYMPTOM_LIST}{dizziness.pk}/history/{before_approval.pk}/"
    article_url = dizziness_pages["condition"].get_absolute_url()

    form = admin_change_form(reviewer_client, url)  # showing it writes nothing
    dizziness.refresh_from_db()
    assert (dizziness.red_flag_advice, dizziness.has_proposal) == (EDITORS_ADVICE, False)
    assert form["red_flag_advice"].startswith(LIVE_ADVICE) and form["red_flag_level"] == "emergency"

    assert reviewer_client.post(url, form).status_code == 302

    dizziness.refresh_from_db()
    assert dizziness.red_flag_advice == EDITORS_ADVICE  # still live until approved
    assert dizziness.proposed_red_flag_advice.startswith(LIVE_ADVICE)
    assert EDITORS_ADVICE in reader.get(article_url).content.decode()

    decide(second_reviewer_client, dizziness, "approve")

    page = reader.get(article_url).content.decode()
    emergency, _ = emergency_and_urgent_callouts(page)
    assert LIVE_ADVICE in emergency and EDITORS_ADVICE not in page


def test_a_deleted_symptom_cannot_be_recovered_with_its_advice_unreviewed(
    reviewer_client, editor_client
):
    headache = Symptom.objects.get(slug="headache")
    form = admin_change_form(reviewer_client, change_url(headache))
    form["synonyms"] = "head pain"
    assert reviewer_client.post(change_url(headache), form).status_code == 302
    version = Version.objects.get_for_object(headache).first()
    reviewer_client.post(f"{SYMPTOM_LIST}{headache.pk}/delete/", {"post": "yes"})

    for client in (reviewer_client, editor_client):
        assert client.get(f"{SYMPTOM_LIST}recover/").status_code == 403
        assert client.post(f"{SYMPTOM_LIST}recover/{version.pk}/", {}).status_code == 403
    assert not Symptom.objects.filter(slug="headache").exists()
