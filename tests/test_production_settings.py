"""Production settings: a deploy check that passes, secret keys that must be set and
must not be the example's, a configurable admin address, and a database set up so
readers never block an editor."""

import re
import subprocess

import pytest
from django.db import connection

from tests.production import PRODUCTION_ENV, PROJECT, manage

pytestmark = pytest.mark.django_db


def test_check_deploy_is_clean_with_the_documented_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_a_secret_key_production_refuses_to_start():
    result = manage("check", DJANGO_DEBUG="0")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_the_example_secret_key_is_refused():
    example = (PROJECT / ".env.example").read_text()
    placeholder = re.search(r"^DJANGO_SECRET_KEY=(.*)$", example, re.M)[1]

    result = manage("check", "--deploy", **{**PRODUCTION_ENV, "DJANGO_SECRET_KEY": placeholder})

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is the example's placeholder" in result.stderr


def test_make_serve_makes_a_secret_key_of_its_own_and_keeps_it(tmp_path):
    key_file = tmp_path / "serve-secret-key"
    make = ["make", "--no-print-directory", "-s", f"SERVE_SECRET_KEY_FILE={key_file}"]

    first = subprocess.run([*make, str(key_file)], cwd=PROJECT, capture_output=True, text=True)
    key = key_file.read_text().strip()
    again = subprocess.run([*make, str(key_file)], cwd=PROJECT, capture_output=True, text=True)

    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert len(key) >= 50 and key_file.read_text().strip() == key  # made once, then kept
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_the_admin_address_is_configurable():
    result = manage(
        "shell", "-c", "from django.urls import reverse; print(reverse('admin:index'))",
        DJANGO_DEBUG="1", DJANGO_ADMIN_PATH="editors-7f3a",
    )  # fmt: skip

    assert result.stdout.strip().splitlines()[-1] == "/editors-7f3a/"


def test_database_is_set_up_so_readers_never_block_an_editor():
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            mode = cursor.fetchone()[0]
        # The test database lives in memory, where SQLite keeps "memory"; a file gets WAL.
        assert mode in {"wal", "memory"}
        assert "journal_mode=WAL" in settings_dict["OPTIONS"]["init_command"]
        assert settings_dict["OPTIONS"]["timeout"] >= 5  # a busy timeout, not an error
    else:
        # PostgreSQL readers never block writers; connections persist and are health-checked.
        assert settings_dict["CONN_MAX_AGE"] > 0 and settings_dict["CONN_HEALTH_CHECKS"]


def test_production_refuses_to_publish_unreviewed_imports(tmp_path):
    # The refusal comes before the database is touched: no migrated database is needed.
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}"}
    result = manage("import_articles", "--publish", "conditions/sample_content", **env)

    assert result.returncode != 0
    assert "no medical reviewer has signed off" in result.stderr
