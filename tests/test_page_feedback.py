""" "Is this page useful?": readers answer and comment on live articles, without script and
without a cookie, the page stays cached, abuse is held back, and editors and medical reviewers
read the answers in the admin, least useful pages first."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from conditions.models import Article, PageFeedback
from tests.browser import VIEWPORTS, assert_no_axe_violations, use_viewport
from tests.factories import make_condition, make_faq

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.browser"]  # the `browser` fixture
# Where the browser test leaves its screenshots, to look at.
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


def feedback_url(article) -> str:
    return reverse("conditions:page_feedback", args=[article.pk])


def answer(client, article, useful="no", **headers):
    return client.post(feedback_url(article), {"useful": useful}, **headers)


def comment_token(response) -> str:
    return re.search(rb'name="token" value="([^"]+)"', response.content).group(1).decode()


def test_a_live_article_asks_whether_it_is_useful_without_anything_per_visitor(reader):
    condition = make_condition("Whiplash")
    faq = make_faq("Neck pain questions", items=[("Is it serious?", "Rarely.")])

    for article in (condition, faq):
        page = reader.get(article.get_absolute_url())
        html = page.content.decode()
        assert "Is this page useful?" in html
        assert f'action="{feedback_url(article)}"' in html
        # Nothing a cached copy couldn't give every reader: no CSRF token, no cookie.
        assert "csrfmiddlewaretoken" not in html and 'name="token" value=""' in html
        assert not page.cookies and "Set-Cookie" not in page


def test_a_draft_shown_to_staff_does_not_ask(editor_client):
    draft = make_condition("Whiplash", status=Article.Status.DRAFT)

    page = editor_client.get(draft.get_absolute_url())

    assert page.status_code == 200 and "Is this page useful?" not in page.content.decode()


def test_the_page_with_the_question_is_still_cached_and_a_hit_costs_no_query(
    reader, shared_redis, django_assert_num_queries
):
    article = make_condition("Whiplash")
    first = reader.get(article.get_absolute_url())

    with django_assert_num_queries(0):
        hit = reader.get(article.get_absolute_url())

    assert first["X-Cache"] == "miss" and hit["X-Cache"] == "hit"
    assert b"Is this page useful?" in hit.content and not hit.cookies


def test_answering_no_then_saying_what_was_missing_without_script(reader):
    article = make_condition("Whiplash")

    answered = answer(reader, article, "no")

    assert answered.status_code == 200
    html = answered.content.decode()
    assert "Thank you for your answer" in html and "What was missing?" in html
    assert "personal details" in html and 'href="tel:111"' in html and 'href="tel:999"' in html
    assert answered["Cache-Control"] == "no-store" and not answered.cookies
    feedback = PageFeedback.objects.get()
    assert feedback.article_id == article.pk and feedback.useful is False
    assert feedback.given_on == timezone.localdate() and feedback.comment == ""

    commented = reader.post(
        feedback_url(article),
        {"token": comment_token(answered), "comment": "  How long does it last?\r\nAnd work?  "},
    )

    assert commented.status_code == 200 and "Thank you" in commented.content.decode()
    assert not commented.cookies
    assert PageFeedback.objects.get().comment == "How long does it last?\nAnd work?"
    # The token says which answer, but can't be used again to change what was said.
    reader.post(feedback_url(article), {"token": comment_token(answered), "comment": "Spam"})
    assert PageFeedback.objects.get().comment == "How long does it last?\nAnd work?"


def test_answering_with_script_gets_json_and_the_comment_token(reader):
    article = make_faq("Neck pain questions")

    answered = answer(reader, article, "yes", HTTP_ACCEPT="application/json")

    assert answered.status_code == 200 and not answered.cookies
    token = answered.json()["token"]
    commented = reader.post(
        feedback_url(article),
        {"token": token, "comment": "Clear, thanks"},
        HTTP_ACCEPT="application/json",
    )
    assert commented.status_code == 200
    assert PageFeedback.objects.get().comment == "Clear, thanks"


def test_a_comment_too_long_is_refused_and_shown_again_to_shorten(reader):
    article = make_condition("Whiplash")
    token = comment_token(answer(reader, article))

    refused = reader.post(feedback_url(article), {"token": token, "comment": "a" * 501})

    assert refused.status_code == 400
    html = refused.content.decode()
    assert "500 characters" in html and "a" * 501 in html  # nothing typed is lost
    assert PageFeedback.objects.get().comment == ""


def test_a_token_for_another_page_or_forged_adds_nothing(reader):
    whiplash, posture = make_condition("Whiplash"), make_condition("Poor posture")
    token = comment_token(answer(reader, whiplash))

    elsewhere = reader.post(feedback_url(posture), {"token": token, "comment": "Hi"})
    forged = reader.post(feedback_url(whiplash), {"token": "1:forged", "comment": "Hi"})

    assert elsewhere.status_code == forged.status_code == 400
    assert not PageFeedback.objects.exclude(comment="").exists()


@pytest.mark.parametrize("status", [Article.Status.DRAFT, Article.Status.UNPUBLISHED])
def test_only_live_articles_take_answers(reader, status):
    article = make_condition("Whiplash", status=status)

    assert answer(reader, article).status_code == 404
    assert reader.post("/feedback/99999/", {"useful": "yes"}).status_code == 404
    for too_large in (2**63 - 1, 2**63, 10**20):  # the largest id, then past any id
        assert reader.post(f"/feedback/{too_large}/", {"useful": "yes"}).status_code == 404
    assert not PageFeedback.objects.exists()


def test_anything_but_yes_or_no_and_a_get_are_refused(reader):
    article = make_condition("Whiplash")

    assert answer(reader, article, "maybe").status_code == 400
    assert answer(reader, article, "yes\x00").status_code == 400
    assert reader.get(feedback_url(article)).status_code == 405
    assert not PageFeedback.objects.exists()


def test_posts_from_another_site_are_refused(reader):
    article = make_condition("Whiplash")

    cross_site = answer(reader, article, HTTP_SEC_FETCH_SITE="cross-site")
    other_origin = answer(reader, article, HTTP_ORIGIN="https://evil.example")
    own_page = answer(reader, article, HTTP_SEC_FETCH_SITE="same-origin")
    own_origin = answer(reader, article, HTTP_ORIGIN="http://testserver")

    assert cross_site.status_code == other_origin.status_code == 403
    assert own_page.status_code == own_origin.status_code == 200
    assert PageFeedback.objects.count() == 2


def test_one_address_is_held_to_the_days_limit_and_the_address_is_kept_nowhere(
    reader, settings, shared_redis
):
    settings.FEEDBACK_PER_ADDRESS_PER_DAY = 3
    article = make_condition("Whiplash")
    address = "203.0.113.9"

    answers = [answer(reader, article, REMOTE_ADDR=address).status_code for _ in range(4)]
    another = answer(reader, article, REMOTE_ADDR="198.51.100.7")

    assert answers == [200, 200, 200, 429] and another.status_code == 200
    assert PageFeedback.objects.count() == 4
    keys = [key.decode() for key in shared_redis.keys("*feedback*")]
    assert len(keys) == 2 and all(shared_redis.ttl(key) > 0 for key in keys)
    # Each a keyed hash of an address and the day: the address can't be read back.
    assert all(re.search(r"feedback-posts:[0-9a-f]{64}$", key) for key in keys)
    assert not any(address in key for key in keys)


def test_with_the_cache_down_the_page_is_served_and_answers_are_refused_politely(reader, settings):
    article = make_condition("Whiplash")
    settings.CACHES = {
        "default": {
            "BACKEND": "neckinfo.redis_cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }

    # Before the cache is known to be down (the count itself fails), then after.
    first = answer(reader, article)
    page = reader.get(article.get_absolute_url())
    again = answer(reader, article, HTTP_ACCEPT="application/json")

    assert page.status_code == 200 and b"Is this page useful?" in page.content
    assert first.status_code == 503 and "try again later" in first.content.decode()
    assert again.status_code == 503 and "try again later" in again.json()["error"]
    assert not PageFeedback.objects.exists()


def test_control_characters_are_removed_from_comments(reader):
    article = make_condition("Whiplash")
    token = comment_token(answer(reader, article))

    reader.post(
        feedback_url(article), {"token": token, "comment": "Pain\x00 at\x1b night\tonly\u202e"}
    )

    assert PageFeedback.objects.get().comment == "Pain at night\tonly"


def test_answering_and_commenting_cost_a_few_queries(reader, django_assert_num_queries):
    article = make_condition("Whiplash")

    with django_assert_num_queries(2):  # the article; the answer
        answered = answer(reader, article)
    with django_assert_num_queries(3):  # the article; the answer; the comment added to it
        reader.post(feedback_url(article), {"token": comment_token(answered), "comment": "Hi"})


@pytest.mark.parametrize(
    "body",
    [
        "useful=no&comment=" + "x" * 3_000_000,  # past Django's limit on a posted body
        "comment=Hi&token=" + "x" * 100_000,
        "token=%00%FF&comment=%ED%A0%80%00",  # NUL, broken UTF-8, an encoded lone surrogate
        "useful=yes" + "&useful=yes" * 999,
    ],
    ids=["huge body", "huge token", "NUL and broken UTF-8", "repeated answer"],
)
def test_hostile_posts_answer_4xx_or_count_once_and_cost_little(
    reader, body, django_assert_max_num_queries
):
    article = make_condition("Whiplash")

    with django_assert_max_num_queries(2):
        response = reader.post(
            feedback_url(article), body, content_type="application/x-www-form-urlencoded"
        )

    assert response.status_code in (200, 400)
    assert PageFeedback.objects.filter(comment__gt="").count() == 0
    assert PageFeedback.objects.count() <= 1


# The admin


def given(article, useful: int, not_useful: int, comments=()) -> None:
    PageFeedback.objects.bulk_create(
        [PageFeedback(article=article, useful=True) for _ in range(useful)]
        + [PageFeedback(article=article, useful=False) for _ in range(not_useful)]
        + [PageFeedback(article=article, useful=False, comment=text) for text in comments]
    )


REPORT = "/admin/conditions/pagefeedback/pages/"


def test_the_report_lists_least_useful_pages_first_once_they_have_enough_answers(
    editor_client, settings
):
    settings.FEEDBACK_ANSWERS_TO_RANK = 5
    mostly_useful = make_condition("Mostly useful")
    least_useful = make_condition("Least useful")
    one_no = make_condition("One No")
    given(mostly_useful, useful=5, not_useful=1)
    given(least_useful, useful=1, not_useful=3, comments=["Nothing on driving"])
    given(one_no, useful=0, not_useful=1)

    report = editor_client.get(REPORT)

    assert report.status_code == 200
    html = report.content.decode()
    order = [html.index(title) for title in ("Least useful", "Mostly useful", "One No")]
    assert order == sorted(order)
    assert "20% of 5" in html and "83% of 6" in html and "0% of 1" in html
    assert "too few to rank" in html and "Nothing on driving" in html


def test_hostile_comments_are_shown_as_plain_text_in_the_admin(reviewer_client):
    article = make_condition("Whiplash")
    hostile = '<script>alert(1)</script> <a href="https://spam.example">cheap pills</a>'
    given(article, useful=0, not_useful=0, comments=[hostile, "see https://spam.example"])

    for address in (REPORT, "/admin/conditions/pagefeedback/"):
        html = reviewer_client.get(address).content.decode()
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
        assert 'href="https://spam.example"' not in html  # links never made live


def test_the_article_list_and_page_show_the_share_of_useful_answers(editor_client):
    article = make_condition("Whiplash")
    given(article, useful=3, not_useful=0, comments=["More on sleep"])

    listing = editor_client.get("/admin/conditions/conditionarticle/").content.decode()
    change = editor_client.get(
        f"/admin/conditions/conditionarticle/{article.pk}/change/"
    ).content.decode()

    assert "75% of 4" in listing
    assert "75% of 4 found it useful" in change and "1 comment(s) not yet handled" in change


def test_the_article_list_sorts_by_the_share_of_useful_answers(editor_client):
    given(make_condition("Mostly useful"), useful=9, not_useful=1)
    given(make_condition("Least useful"), useful=1, not_useful=9)

    # The column after title and state, ascending: the least useful first.
    html = editor_client.get("/admin/conditions/conditionarticle/?o=3").content.decode()

    assert html.index("10% of 10") < html.index("90% of 10")


def test_an_editor_marks_comments_handled_and_they_still_count(editor_client):
    article = make_condition("Whiplash")
    given(article, useful=1, not_useful=0, comments=["Add exercises"])
    commented = PageFeedback.objects.exclude(comment="").get()

    editor_client.post(
        "/admin/conditions/pagefeedback/",
        {"action": "mark_handled", "_selected_action": [commented.pk]},
    )

    commented.refresh_from_db()
    assert commented.handled_at is not None and commented.handled_by.username == "ed"
    report = editor_client.get(REPORT).content.decode()
    assert "Add exercises" not in report and "50% of 2" in report


def test_a_reviewer_removes_personal_details_from_a_comment_and_the_answer_still_counts(
    reviewer_client,
):
    article = make_condition("Whiplash")
    given(article, useful=0, not_useful=0, comments=["I'm Jo Bloggs, call me on 07700 900123"])
    feedback = PageFeedback.objects.get()

    reviewer_client.post(
        "/admin/conditions/pagefeedback/",
        {"action": "remove_comment_text", "_selected_action": [feedback.pk]},
    )

    feedback.refresh_from_db()
    assert feedback.comment == "" and feedback.useful is False
    assert feedback.handled_by.username == "rita"
    assert "0% of 1" in reviewer_client.get(REPORT).content.decode()


def test_readers_cannot_read_the_feedback(reader):
    article = make_condition("Whiplash")
    given(article, useful=0, not_useful=0, comments=["Private thoughts"])

    for address in (REPORT, "/admin/conditions/pagefeedback/"):
        response = reader.get(address)
        assert response.status_code == 302 and "login" in response["Location"]


def test_nobody_can_edit_what_a_reader_said(editor_client):
    article = make_condition("Whiplash")
    given(article, useful=0, not_useful=0, comments=["As typed"])
    feedback = PageFeedback.objects.get()

    editor_client.post(
        f"/admin/conditions/pagefeedback/{feedback.pk}/change/", {"comment": "Changed"}
    )

    assert PageFeedback.objects.get().comment == "As typed"
    assert editor_client.get("/admin/conditions/pagefeedback/add/").status_code == 403


def test_the_page_cache_is_not_touched_by_answers(reader):
    article = make_condition("Whiplash")
    reader.get(article.get_absolute_url())

    answer(reader, article)

    # An answer is no change to content: the cached page is still served.
    assert reader.get(article.get_absolute_url())["X-Cache"] == "hit"


# In Chromium


def test_answering_in_place_with_the_keyboard_on_a_phone(browser, live_server):
    article = make_condition(
        "Whiplash",
        ["Neck pain"],
        body="## Symptoms\n\nNeck pain and stiffness that start a few hours after a jolt.",
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    use_viewport(browser, VIEWPORTS["phone"])
    browser.get(live_server.url + article.get_absolute_url())
    box = browser.find_element(By.CSS_SELECTOR, "[data-page-feedback]")
    browser.execute_script("arguments[0].scrollIntoView()", box)
    browser.save_screenshot(str(SCREENSHOTS / "feedback-phone-question.png"))
    assert_no_axe_violations(browser)

    no = box.find_element(By.XPATH, ".//button[text()='No']")
    browser.execute_script("arguments[0].focus()", no)
    no.send_keys(Keys.ENTER)
    thanks = WebDriverWait(browser, 10).until(
        lambda driver: box.find_element(By.CSS_SELECTOR, ".page-feedback__thanks")
    )
    # Focus moves to the new step, so a screen reader says what happened.
    assert browser.switch_to.active_element == thanks
    assert "What was missing?" in box.text and "personal details" in box.text
    assert_no_axe_violations(browser)
    browser.save_screenshot(str(SCREENSHOTS / "feedback-phone-comment.png"))

    box.find_element(By.TAG_NAME, "textarea").send_keys("<b>How long</b> until I can drive?")
    box.find_element(By.XPATH, ".//button[text()='Send comment']").click()
    WebDriverWait(browser, 10).until(lambda driver: "Editors read every comment" in box.text)

    assert browser.switch_to.active_element.text.startswith("Thank you.")
    feedback = PageFeedback.objects.get()
    assert feedback.useful is False and feedback.comment == "<b>How long</b> until I can drive?"
    assert browser.get_cookies() == []  # the page and both posts set none
    use_viewport(browser, VIEWPORTS["desktop"])
    assert_no_axe_violations(browser)
    browser.save_screenshot(str(SCREENSHOTS / "feedback-desktop-thanks.png"))


def test_answering_without_script_in_chromium(browser, live_server):
    article = make_faq("Neck pain questions", items=[("Is it serious?", "Rarely.")])
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.get(live_server.url + article.get_absolute_url())
        browser.find_element(By.XPATH, "//button[text()='Yes']").click()
        # The page source, not an element: one found mid-navigation could go stale.
        WebDriverWait(browser, 10).until(
            lambda driver: "<h1>Thank you for your answer</h1>" in driver.page_source
        )
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    assert_no_axe_violations(browser)  # the thank-you page has no script of its own
    browser.find_element(By.TAG_NAME, "textarea").send_keys("Clear")
    browser.find_element(By.XPATH, "//button[text()='Send comment']").click()
    WebDriverWait(browser, 10).until(lambda driver: "<h1>Thank you</h1>" in driver.page_source)

    assert PageFeedback.objects.get().comment == "Clear"
    assert browser.get_cookies() == []


def test_a_refused_answer_is_said_in_place(browser, live_server, settings):
    settings.FEEDBACK_PER_ADDRESS_PER_DAY = 0
    article = make_condition("Whiplash")
    browser.get(live_server.url + article.get_absolute_url())

    browser.find_element(By.XPATH, "//button[text()='Yes']").click()
    status = browser.find_element(By.CSS_SELECTOR, "[data-page-feedback-status]")
    WebDriverWait(browser, 10).until(lambda driver: "network" in status.text)

    # Said in the live region, the buttons still there to try again later.
    assert "a lot of answers from your network today" in status.text
    assert browser.find_element(By.XPATH, "//button[text()='No']").is_displayed()
    assert not PageFeedback.objects.exists()
