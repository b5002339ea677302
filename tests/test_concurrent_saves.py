"""Two people saving the same thing at the same instant, on the real server and database.

Each round, Rita and Raj open the same change form, change it differently, and press Save at
the same moment (two gunicorn workers, two sessions). Exactly one save may be applied; the
other must be refused with the reason, its text still in the form. Never both "saved".

Before the check and the save were made one atomic step, both were "saved" in 197 of 200
rounds on PostgreSQL; fifteen rounds of each kind show it. `make bench-faults` runs
hundreds (bench/RESULTS-faults.md).
"""

import pytest

from tests.live_site import live_site, open_working_copy, simultaneous_saves

pytestmark = pytest.mark.django_db(databases=[])  # the live site has its own database

ROUNDS = 15  # of each kind: an article, an FAQ question, a symptom


@pytest.fixture(scope="module")
def site():
    with live_site(workers=2) as site:
        yield site


RIGHT = {"one saved, one refused": ROUNDS}


def working_copy(site, model: str) -> tuple[int, str]:
    """(id, change path) of the working copy of the site's first live article of `model`:
    a live article is changed in its working copy, which the same guard protects."""
    live = site.database.query(f"SELECT MIN(article_ptr_id) FROM conditions_{model}")[0][0]
    browser = site.signed_in("rita")
    path = open_working_copy(browser, browser.get(f"/admin/conditions/{model}/{live}/change/"))
    return int(path.rstrip("/").split("/")[-2]), path


def test_two_reviewers_saving_an_article_at_once_never_both_succeed(site):
    pk, path = working_copy(site, "conditionarticle")

    def body():
        sql = "SELECT body FROM conditions_conditionarticle WHERE article_ptr_id = ?"
        return site.database.query(sql, (pk,))[0][0]

    assert simultaneous_saves(site, path, "conditionarticle_form", "body", body, ROUNDS) == RIGHT


def test_two_reviewers_saving_an_faq_question_at_once_never_both_succeed(site):
    pk, path = working_copy(site, "faqarticle")

    def first_answer():
        sql = "SELECT answer FROM conditions_faqitem WHERE faq_id = ? ORDER BY position, id"
        return site.database.query(sql, (pk,))[0][0]

    outcomes = simultaneous_saves(
        site, path, "faqarticle_form", "items-0-answer", first_answer, ROUNDS
    )
    assert outcomes == RIGHT


def test_two_reviewers_saving_a_symptom_at_once_never_both_succeed(site):
    pk = site.database.query("SELECT id FROM conditions_symptom WHERE slug = 'dizziness'")[0][0]

    def description():
        # A description is saved as a proposal, waiting for another reviewer's approval.
        sql = "SELECT proposed_description FROM conditions_symptom WHERE id = ?"
        return site.database.query(sql, (pk,))[0][0]

    path = f"/admin/conditions/symptom/{pk}/change/"
    outcomes = simultaneous_saves(site, path, "symptom_form", "description", description, ROUNDS)
    assert outcomes == RIGHT
