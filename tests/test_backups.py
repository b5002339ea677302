"""`manage.py backup_database`: a consistent copy that restores, on SQLite and PostgreSQL,
never written over an existing file."""

import sqlite3
import subprocess
import tarfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import make_condition, make_image

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)  # as in production: no transaction left open
def test_backup_makes_a_copy_that_restores(tmp_path):
    make_condition("Whiplash")
    make_condition("Torticollis")
    target = tmp_path / "backup.copy"

    output = StringIO()
    call_command("backup_database", str(target), stdout=output)

    assert output.getvalue().split() == [str(target), str(tmp_path / "backup-media.tar")]
    assert _titles_in_backup(target) == ["Torticollis", "Whiplash"]


@pytest.mark.django_db(transaction=True)
def test_backup_includes_the_uploaded_images(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    image = make_image("Diagram of the neck")
    rendition = image.renditions.get(width=320, format="webp")
    target = tmp_path / "backups" / "neckinfo.copy"

    call_command("backup_database", str(target), stdout=StringIO())

    with tarfile.open(tmp_path / "backups" / "neckinfo-media.tar") as archive:
        names = set(archive.getnames())
        assert f"media/{image.file.name}" in names
        copied = archive.extractfile(f"media/{rendition.file.name}").read()
    assert copied == (settings.MEDIA_ROOT / rendition.file.name).read_bytes()


@pytest.mark.django_db(transaction=True)  # SQLite's backup waits for an open transaction
def test_a_site_with_nothing_uploaded_gets_an_empty_media_backup(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "no-uploads-yet"

    call_command("backup_database", str(tmp_path / "site.copy"), stdout=StringIO())

    with tarfile.open(tmp_path / "site-media.tar") as archive:
        assert archive.getnames() == ["media"]


def test_backup_refuses_to_overwrite_a_file(tmp_path):
    target = tmp_path / "backup.copy"
    target.write_text("precious")

    with pytest.raises(Exception, match="exists already"):
        call_command("backup_database", str(target), stdout=StringIO())
    assert target.read_text() == "precious"


def _titles_in_backup(target: Path) -> list[str]:
    """Restore the backup the way an operator would, and read the articles back."""
    if connection.vendor == "sqlite":
        restored = sqlite3.connect(target)
        rows = restored.execute("SELECT title FROM conditions_article ORDER BY title").fetchall()
        restored.close()
        return [row[0] for row in rows]
    database = connection.settings_dict["NAME"] + "_restored"
    server = ["-h", connection.settings_dict["HOST"] or "127.0.0.1", "-U",
              connection.settings_dict["USER"] or "postgres"]  # fmt: skip
    subprocess.run(["dropdb", "--if-exists", *server, database], check=True)
    subprocess.run(["createdb", *server, database], check=True)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", *server, "-d", database, str(target)], check=True
        )
        result = subprocess.run(
            ["psql", *server, "-d", database, "-Atc",
             "SELECT title FROM conditions_article ORDER BY title"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return result.stdout.split("\n")[:-1]
    finally:
        subprocess.run(["dropdb", "--if-exists", *server, database], check=True)
