"""`manage.py backup_database [PATH]`: a consistent copy of the database, while it is in use,
and a tar of the uploaded images beside it."""

import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database: SQLite's online backup API (a copy "
        "that readers and writers don't have to stop for), or pg_dump's custom format for "
        "PostgreSQL (restore with pg_restore), and beside it <name>-media.tar of the "
        "uploaded images (MEDIA_ROOT; restore with tar -xf in its parent). Prints the files "
        "written."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="File to write. Default: backups/neckinfo-<date>-<time>.sqlite3 or .dump",
        )

    def handle(self, *args, path=None, **options):
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        if connection.vendor == "sqlite":
            target = Path(path or settings.BASE_DIR / "backups" / f"neckinfo-{stamp}.sqlite3")
            self._prepare(target)
            self._backup_sqlite(target)
        elif connection.vendor == "postgresql":
            target = Path(path or settings.BASE_DIR / "backups" / f"neckinfo-{stamp}.dump")
            self._prepare(target)
            self._backup_postgresql(target)
        else:
            raise CommandError(f"No backup method for a {connection.vendor} database.")
        self.stdout.write(str(target))
        # After the database: image files are only ever added under new names, so every file
        # the copied database refers to is in the tar (unless deleted in between).
        if isinstance(storages["default"], FileSystemStorage):
            media = target.with_name(f"{target.stem}-media.tar")
            self._prepare(media)
            self._backup_media(media)
            self.stdout.write(str(media))
        else:
            self.stderr.write(
                "Media are in object storage, not copied: keep them with the bucket's own "
                "versioning or replication."
            )

    @staticmethod
    def _prepare(target: Path) -> None:
        if target.exists():
            raise CommandError(f"{target} exists already; choose another file name.")
        target.parent.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _backup_media(target: Path) -> None:
        """MEDIA_ROOT as `media/…` in a tar (images are compressed already), written under a
        temporary name first so a backup cut short is never taken for a whole one."""
        partial = target.with_name(target.name + ".partial")
        root = Path(settings.MEDIA_ROOT)
        with tarfile.open(partial, "w") as archive:
            if root.exists():
                archive.add(root, arcname="media")
            else:  # nothing uploaded yet: an empty folder, so a restore looks the same
                folder = tarfile.TarInfo("media")
                folder.type, folder.mode = tarfile.DIRTYPE, 0o755
                archive.addfile(folder)
        partial.rename(target)

    @staticmethod
    def _backup_sqlite(target: Path) -> None:
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            with destination:
                connection.connection.backup(destination)
        finally:
            destination.close()

    @staticmethod
    def _backup_postgresql(target: Path) -> None:
        if not shutil.which("pg_dump"):
            raise CommandError(
                "pg_dump is not installed (Debian: apt-get install postgresql-client)."
            )
        db = connection.settings_dict
        command = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"]
        for option, value in (("--host", db["HOST"]), ("--port", db["PORT"]),
                              ("--username", db["USER"])):  # fmt: skip
            if value:
                command.append(f"{option}={value}")
        command.append(db["NAME"])
        environment = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
        result = subprocess.run(command, capture_output=True, text=True, env=environment)
        if result.returncode != 0:
            target.unlink(missing_ok=True)
            raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
