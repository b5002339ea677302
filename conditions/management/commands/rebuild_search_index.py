"""`manage.py rebuild_search_index`: build the search index again from every article."""

import time

from django.core.management.base import BaseCommand

from conditions.search import rebuild_index


class Command(BaseCommand):
    help = (
        "Rebuild the search index from scratch. Saving content keeps the index fresh on its "
        "own; use this after bulk changes made outside the site (e.g. raw SQL)."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        entries = rebuild_index()
        self.stdout.write(
            f"Indexed {entries} search entries in {time.perf_counter() - started:.1f} s."
        )
