"""`manage.py import_articles PATH [PATH ...] [--publish] [--dry-run] [--only-if-empty]`."""

from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from conditions.importer import MAX_FILE_BYTES, MAX_QUESTIONS, import_paths, printable
from conditions.models import Article


class Command(BaseCommand):
    help = (
        "Import condition and FAQ articles from plain-text files, or folders of .txt files. "
        "Importing a file again updates its article: a draft in place, a published article's "
        "working copy (the live page is unchanged until a medical reviewer publishes it). "
        "A file that can't be imported is reported and left out; the others still import. "
        "Scraped leftovers (“Read More”, “…” where text was cut) are reported as warnings and "
        "mark the article “needs editing”; a line that is only such a label is left out. "
        "Symbolic links are not followed; "
        f"a file may hold at most {MAX_FILE_BYTES:,} bytes, and an FAQ {MAX_QUESTIONS} questions."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths",
            nargs="+",
            metavar="PATH",
            help="A text file, or a folder whose .txt files (subfolders included) are imported.",
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish the articles that have never been published (new ones, and drafts). "
            "Without it new articles are drafts, and updated articles keep their status.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Save nothing: print, per file, whether its article is new, which parts "
            "would change, or that it is unchanged.",
        )
        parser.add_argument(
            "--only-if-empty",
            action="store_true",
            help="Do nothing if there are articles already (for filling a new database).",
        )

    def handle(self, *args, paths, publish, dry_run, only_if_empty, **options):
        if publish and not dry_run and not settings.PUBLISH_UNREVIEWED_IMPORTS:
            # Refused before anything is read, so nothing changes.
            raise CommandError(
                "--publish would show readers text no medical reviewer has signed off. Import "
                "without it (new articles are drafts) and have a medical reviewer sign them off "
                "and publish them in the admin. Only a site showing sample content may set "
                "DJANGO_PUBLISH_UNREVIEWED_IMPORTS=1."
            )
        if only_if_empty and Article.objects.exists():
            self.stdout.write("Articles exist already, so nothing was imported (--only-if-empty).")
            return

        counts = Counter()
        needs_editing = 0  # files whose text keeps scraped leftovers
        for outcome in import_paths(paths, publish=publish, dry_run=dry_run):
            counts[outcome.action] += 1
            # Names and titles come from outside: printable() keeps each on its own line.
            if outcome.action == "failed":
                self.stderr.write(f"error: {printable(outcome.path)}: {printable(outcome.detail)}")
            elif outcome.changed:
                parts = ", ".join(name.replace("_", " ") for name in outcome.changed)
                self.stdout.write(f"{outcome.action} ({parts}): {printable(outcome.detail)}")
            else:
                self.stdout.write(f"{outcome.action}: {printable(outcome.detail)}")
            for warning in outcome.leftovers.warnings:
                self.stderr.write(
                    f"warning: {printable(outcome.path)}: {printable(warning)}", self.style.WARNING
                )
            needs_editing += outcome.leftovers.kept

        if needs_editing:
            marked_files = f"{needs_editing} file{'' if needs_editing == 1 else 's'}"
            marked = "would be" if dry_run else "are"
            self.stdout.write(
                f"{marked_files} with scraped leftovers (see the warnings): their articles "
                f"{marked} marked “needs editing” in the admin until the text is fixed."
            )

        total = counts.total()
        files = f"{total} file{'' if total == 1 else 's'}"
        if dry_run:
            self.stdout.write(
                f"Dry run, nothing saved. {files}: {counts['new']} new, {counts['changed']} "
                f"changed, {counts['unchanged']} unchanged, {counts['failed']} failed."
            )
        else:
            updated = counts["updated"] + counts["updated the working copy of"]
            unchanged = f"{counts['unchanged']} unchanged, " if counts["unchanged"] else ""
            self.stdout.write(
                f"Imported {files}: {counts['created']} created, {updated} updated, "
                f"{unchanged}{counts['failed']} failed."
            )
        if counts["failed"]:
            failed = counts["failed"]
            raise CommandError(f"{failed} file{'' if failed == 1 else 's'} could not be imported.")
