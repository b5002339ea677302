"""`manage.py backup_database`: a consistent copy that restores, on SQLite and PostgreSQL,
never written over an existing file."""

import sqlite3
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import make_condition

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)  # as in production: no transaction left open
def test_backup_makes_a_copy_that_restores(tmp_path):
    make_condition("Whiplash")
    make_condition("Torticollis")
    target = tmp_path / "backup.copy"

    output = StringIO()
    call_command("backup_database", str(target), stdout=output)

    assert output.getvalue().strip() == str(target)
    assert _titles_in_backup(target) == ["Torticollis", "Whiplash"]


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
