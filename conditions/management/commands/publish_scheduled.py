"""`manage.py publish_scheduled`: publish the working copies whose scheduled time has come.

Run it every minute from cron or a systemd timer (see the README's Deploying section).
Running it twice at once, or again straight after, publishes each copy once.
"""

from django.core.management.base import BaseCommand

from conditions import working_copies


class Command(BaseCommand):
    help = "Publish the working copies of live articles whose scheduled time has come."

    def handle(self, *args, **options):
        outcomes = working_copies.publish_due()
        for live, refusals in outcomes:
            if refusals:
                self.stderr.write(f"not published: {live.title}: {' '.join(refusals)}")
            else:
                self.stdout.write(f"published: {live.title}")
        published = sum(1 for _, refusals in outcomes if not refusals)
        self.stdout.write(
            f"Published {published} scheduled working cop{'y' if published == 1 else 'ies'}."
        )
