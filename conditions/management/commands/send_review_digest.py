"""Mail medical reviewers the articles whose medical review is overdue or due within 30 days."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from conditions import notifications
from conditions.models import Article


class Command(BaseCommand):
    help = "Mail reviewers the medical reviews overdue or due within 30 days (run it daily)."

    def handle(self, *args, **options):
        today = timezone.localdate()
        articles = Article.objects.exclude(next_review_due=None).order_by("next_review_due", "pk")
        overdue = list(articles.filter(next_review_due__lt=today))
        due_soon = list(
            articles.filter(
                next_review_due__gte=today, next_review_due__lte=today + timedelta(days=30)
            )
        )
        sent_to = notifications.review_digest(overdue, due_soon)
        self.stdout.write(
            f"{len(overdue)} overdue, {len(due_soon)} due within 30 days; "
            f"sent to {sent_to} reviewer{'s' if sent_to != 1 else ''}."
        )
