"""Email about moderation: review requested (to reviewers), changes requested or approved (to
the author), and the digest of medical reviews falling due.

Mail is sent once the change commits (`transaction.on_commit`), so a change rolled back sends
nothing, and a mail server that fails is logged: it never undoes the save.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

logger = logging.getLogger(__name__)


def reviewers() -> list:
    """Everyone who may publish and has an email address."""
    return list(
        get_user_model()
        .objects.with_perm(
            "conditions.publish_article", backend="django.contrib.auth.backends.ModelBackend"
        )
        .exclude(email="")
        .order_by("pk")
    )


def admin_link(article) -> str:
    name = "conditionarticle" if article.kind == "condition" else "faqarticle"
    path = reverse(f"admin:conditions_{name}_change", args=[article.pk])
    return settings.SITE_URL.rstrip("/") + path


def name_of(user) -> str:
    return (user.get_full_name() or user.username) if user else "someone"


def send_on_commit(subject: str, message: str, recipients: list[str]) -> None:
    """Send the mail once the transaction under way commits (at once outside one)."""
    recipients = [address for address in recipients if address]
    if not recipients:
        return

    def send():
        try:
            send_mail(subject, message, None, recipients)
        except Exception:
            logger.exception("Could not send “%s” to %s", subject, ", ".join(recipients))

    transaction.on_commit(send)


def review_requested(article, submitted_by) -> None:
    send_on_commit(
        f"Review requested: {article.title}",
        f"{name_of(submitted_by)} submitted “{article.title}” for medical review.\n\n"
        f"Review it: {admin_link(article)}\n",
        [user.email for user in reviewers() if user != submitted_by],
    )


def changes_requested(review) -> None:
    if review.author is None:
        return
    article = review.article
    send_on_commit(
        f"Changes requested: {article.title}",
        f"{name_of(review.reviewer)} asked for changes to “{article.title}”:\n\n"
        f"{review.comment}\n\nOpen it: {admin_link(article)}\n",
        [review.author.email],
    )


def review_approved(article, author, reviewer) -> None:
    if author is None or author == reviewer:
        return
    send_on_commit(
        f"Approved: {article.title}",
        f"{name_of(reviewer)} approved and published “{article.title}”.\n\n{admin_link(article)}\n",
        [author.email],
    )


def review_digest(overdue, due_soon) -> int:
    """Mail every reviewer the medical reviews that are overdue or due soon; returns how many
    people it was sent to (none when nothing is due)."""
    if not overdue and not due_soon:
        return 0
    lines = []
    for heading, articles in [("Overdue", overdue), ("Due within 30 days", due_soon)]:
        if articles:
            lines.append(f"{heading}:")
            lines += [
                f"- {article.title} (due {article.next_review_due:%d %B %Y}): {admin_link(article)}"
                for article in articles
            ]
            lines.append("")
    recipients = [user.email for user in reviewers()]
    if recipients:
        send_mail(
            f"Medical reviews: {len(overdue)} overdue, {len(due_soon)} due within 30 days",
            "\n".join(lines),
            None,
            recipients,
        )
    return len(recipients)
