"""`manage.py purge_search_log`: delete the counts of readers' searches older than
SEARCH_LOG_RETENTION_DAYS.

Run it once a day from cron or a systemd timer (see the README's Deploying section). The app
processes also delete them when they first write counts each day; this makes sure of it on
a day nobody searched.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from conditions.search_insights import purge_expired_counts


class Command(BaseCommand):
    help = "Delete the counts of readers' searches older than the retention period."

    def handle(self, *args, **options):
        deleted = purge_expired_counts()
        self.stdout.write(
            f"Deleted {deleted} search count{'' if deleted == 1 else 's'} older than "
            f"{settings.SEARCH_LOG_RETENTION_DAYS} days."
        )
