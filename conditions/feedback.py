""" "Is this page useful?": readers' answers and comments on live articles.

A reader answers Yes or No, then may say what was missing. Both steps post to one endpoint,
`page_feedback`, as a plain form (no script: the answer is a page of its own, never cached)
or from static/js/page-feedback.js (`Accept: application/json`, the widget updates in place).

The article page itself carries nothing per visitor, so it stays in the public page cache and
sets no cookie; the endpoint therefore can't use Django's CSRF cookie. Why that is safe:
- a post changes nothing but anonymous counts and adds a comment for editors to read: no
  account, no content, nothing a forger could gain from a reader's browser that they couldn't
  post from their own;
- browsers say where a post comes from (Sec-Fetch-Site, else Origin), and posts from
  another site are refused, so a page elsewhere can't make its visitors vote;
- everyone, forger or not, is held to FEEDBACK_PER_ADDRESS_PER_DAY posts a day.

The rate limit counts in the cache under a keyed hash of the address and the day: the address
is never stored, in the database, the cache or the logs, and the count expires. When the cache
can't count (Redis down), feedback is refused with a 503 and a plain "try again later" rather
than taken unmetered: an answer lost in an outage costs little, a database filled by a flood
costs a lot. The article page is unaffected either way.
"""

import hashlib
import hmac
import re

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from conditions.models import Article, PageFeedback
from neckinfo.sign_in import client_address

# A comment may be added to an answer for this long after it was given (the token below).
COMMENT_WINDOW_SECONDS = 60 * 60
TOKEN_SALT = "conditions.feedback.comment"
# Control characters (tab and line breaks apart): PostgreSQL refuses NUL in text, and the
# others only garble the admin's display; bidirectional overrides would let a comment show
# its words in another order than they were typed.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Article ids are 64-bit (BigAutoField); a larger number is no article, and would overflow
# the database's integer before it could answer 404.
LARGEST_ARTICLE_ID = 2**63 - 1
ANSWERS = {"yes": True, "no": False}


class FeedbackRefused(Exception):
    """Feedback not taken: `message` says why, to the reader; `status` is the HTTP status."""

    def __init__(self, status: int, message: str, *, form_again: bool = False):
        super().__init__(message)
        self.status = status
        self.message = message
        # Show the comment form again, with what was typed (it was only too long).
        self.form_again = form_again


@csrf_exempt  # see the module's docstring: no cookie to check, origin checked instead
@require_POST
def page_feedback(request, article_id: int):
    """Record an answer (`useful`) or add a comment to one (`comment` and `token`)."""
    if article_id > LARGEST_ARTICLE_ID:
        raise Http404("No such article")
    # Only live articles: not drafts, previews or working copies.
    article = Article.objects.published().filter(pk=article_id).first()
    if article is None:
        raise Http404("No such article")
    step = "comment" if "token" in request.POST else "answer"
    comment = clean_comment(request.POST.get("comment", ""))
    context = {"article": article, "step": step, "comment": comment}
    try:
        if not comes_from_this_site(request):
            raise FeedbackRefused(403, "Answers can only be sent from this site's own pages.")
        if step == "answer":
            feedback = _record_answer(request, article)
            context.update(useful=feedback.useful, token=_comment_token(feedback))
        else:
            context.update(_add_comment(request, article, comment))
    except FeedbackRefused as refusal:
        context.update(error=refusal.message, form_again=refusal.form_again)
        if refusal.form_again:
            context["token"] = request.POST["token"]
        return _respond(request, context, status=refusal.status)
    return _respond(request, context)


def _record_answer(request, article) -> PageFeedback:
    useful = ANSWERS.get(request.POST.get("useful", ""))
    if useful is None:
        raise FeedbackRefused(400, "Please choose Yes or No.")
    _count_against_limit(request)
    return PageFeedback.objects.create(article=article, useful=useful)


def _add_comment(request, article, comment: str) -> dict:
    try:
        feedback_id = signing.loads(
            request.POST["token"], salt=TOKEN_SALT, max_age=COMMENT_WINDOW_SECONDS
        )
    except signing.BadSignature:
        raise FeedbackRefused(
            400, "This form has expired. Your answer was kept; please answer again to comment."
        ) from None
    answer = PageFeedback.objects.filter(pk=feedback_id, article=article).first()
    if answer is None:
        raise FeedbackRefused(400, "This form is not for this page.")
    if len(comment) > settings.FEEDBACK_COMMENT_MAX_LENGTH:
        raise FeedbackRefused(
            400,
            f"Please keep it to {settings.FEEDBACK_COMMENT_MAX_LENGTH} characters "
            f"(this is {len(comment)}).",
            form_again=True,
        )
    if comment:
        _count_against_limit(request)
        # Once per answer: the token can't be replayed to overwrite what was said.
        PageFeedback.objects.filter(pk=answer.pk, comment="").update(comment=comment)
    return {"useful": answer.useful, "commented": bool(comment)}


def clean_comment(text: str) -> str:
    """What the reader typed, as plain text: trimmed, control characters removed, line
    breaks as LF. Never Markdown or HTML; escaped wherever it is shown."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_CHARACTERS.sub("", text).strip()


def comes_from_this_site(request) -> bool:
    """Whether the browser says the post comes from one of this site's pages.

    Sec-Fetch-Site (every current browser) is believed first; else Origin, which older
    browsers send on posts. A client sending neither (an old browser, a script) can't be
    told apart, and is let through: the rate limit still holds it.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin == f"{request.scheme}://{request.get_host()}" or (
        origin in settings.CSRF_TRUSTED_ORIGINS
    )


def _count_against_limit(request) -> None:
    """Count one post from this address today; refuse it past the day's limit, or when the
    cache can't count (see the module's docstring)."""
    today = timezone.localdate().isoformat()
    address = client_address(request) or ""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{today} {address}".encode(), hashlib.sha256
    ).hexdigest()
    count = _count(f"feedback-posts:{digest}", timeout=24 * 60 * 60)
    if count is None:
        raise FeedbackRefused(503, "We can't take answers just now. Please try again later.")
    if count > settings.FEEDBACK_PER_ADDRESS_PER_DAY:
        raise FeedbackRefused(
            429, "Thank you, we have had a lot of answers from your network today."
        )


def _count(key: str, timeout: int) -> int | None:
    """Add one to the count under `key` (created to expire after `timeout`); None if the
    cache can't count."""
    # `problem` (neckinfo/redis_cache.py) is set while Redis is known to be down, and by a
    # call that has just failed: asked before each call, so that an outage costs no wait.
    # `incr` alone isn't guarded by that cache (redis-py would retry it for seconds).
    if getattr(cache, "problem", ""):
        return None
    cache.add(key, 0, timeout)
    if getattr(cache, "problem", ""):
        return None
    try:
        return cache.incr(key)
    except Exception:  # noqa: BLE001 - the key gone (ValueError) or Redis failing just now
        return None


def _comment_token(feedback: PageFeedback) -> str:
    """Lets whoever gave this answer add a comment to it, for a while, without a cookie."""
    return signing.dumps(feedback.pk, salt=TOKEN_SALT)


def _respond(request, context: dict, status: int = 200):
    if "application/json" in request.headers.get("Accept", ""):
        if "error" in context:
            response = JsonResponse({"error": context["error"]}, status=status)
        else:
            response = JsonResponse({"token": context.get("token", "")})
    else:
        response = render(request, "conditions/page_feedback.html", context, status=status)
    # An answer to one reader's post: never stored by a browser or a cache on the way.
    response["Cache-Control"] = "no-store"
    return response


def usefulness(relation: str = "") -> dict:
    """Aggregates of answers and "useful" answers: for `annotate(**usefulness("feedback"))` on
    articles, or `aggregate(**usefulness())` on PageFeedback itself."""
    useful = Q(**{f"{relation}__useful" if relation else "useful": True})
    counted = relation or "pk"
    return {
        "answers": Count(counted, distinct=True),
        "useful_answers": Count(counted, filter=useful, distinct=True),
    }


def useful_share(useful_answers: int, answers: int) -> str:
    """ "83% of 12", or "No answers yet"."""
    if not answers:
        return "No answers yet"
    return f"{round(100 * useful_answers / answers)}% of {answers}"
